// `--workers N --tasks M "command"`: M runs of a command, at most N at once, a new one started as
// each ends; `{}` in the command is the task index (0 to M-1).
import { performance } from 'node:perf_hooks';
import { SpawnError } from '../errors';
import { spawn } from '../spawn';
import type { ExitInfo, Subprocess } from '../subprocess';
import type { CommandPoolInvocation } from './args';
import { BlockPrinter, type Block } from './blocks';
import { describeExit, describeSpawn, log, onInterrupt, statusForSignal } from './lifecycle';
import { Progress } from './progress';

// After SIGTERM, how long the tasks' process groups get before SIGKILL.
const TERM_GRACE_MS = 2000;

export interface TaskRecord {
  index: number;
  pid: number | null;
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  userCpuMs: number | null;
  systemCpuMs: number | null;
  maxRssKiB: number | null;
  error?: string;
}

interface Running {
  child: Subprocess;
  stdout: Buffer[];
  stderr: Buffer[];
  timedOut: boolean;
  timer: NodeJS.Timeout | null;
}

export class CommandPool {
  private readonly records: TaskRecord[] = [];
  private readonly running = new Set<Running>();
  private readonly progress = Progress.forStream(process.stderr);
  private readonly printer: BlockPrinter;
  private readonly startedAt = performance.now();
  private next = 0;
  private succeeded = 0;
  private failed = 0;
  private stoppedBy: NodeJS.Signals | null = null;
  private finish!: () => void;

  constructor(private readonly invocation: CommandPoolInvocation) {
    this.printer = new BlockPrinter(invocation.keepOrder, () => this.progress?.clear());
  }

  async run(): Promise<number> {
    const removeHandlers = onInterrupt(
      (signal) => this.stop(signal),
      () => this.killAll('SIGKILL'),
    );
    const finished = new Promise<void>((resolve) => (this.finish = resolve));
    this.launchMore();
    await finished;
    removeHandlers();
    this.printer.flush();
    this.progress?.clear();
    if (this.invocation.json) process.stdout.write(`${JSON.stringify(this.summary())}\n`);
    if (this.stoppedBy !== null) return statusForSignal(this.stoppedBy);
    return this.failed === 0 ? 0 : 1;
  }

  private launchMore(): void {
    while (this.stoppedBy === null && this.running.size < this.invocation.workers && this.next < this.invocation.tasks) {
      this.launch(this.next++);
    }
    this.drawProgress();
    if (this.running.size === 0 && (this.stoppedBy !== null || this.next >= this.invocation.tasks)) this.finish();
  }

  private launch(index: number): void {
    const [file, ...args] = this.invocation.command.argv.map((arg) => arg.replaceAll('{}', String(index))) as [string, ...string[]];
    let child: Subprocess;
    try {
      // A group of its own, so that stopping a task stops what it started too.
      child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], processGroup: 0 });
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      this.record(index, null, { error: error.message, exitCode: error.exitCode ?? null });
      this.print({ index, stdout: Buffer.alloc(0), stderr: Buffer.from(`process-spawner: task ${index}: ${error.message}\n`) });
      return;
    }
    if (this.invocation.verbose) log(`task ${index}: ${describeSpawn(child.pid, child.spawnargs)}`);
    const task: Running = { child, stdout: [], stderr: [], timedOut: false, timer: null };
    this.running.add(task);
    child.stdout?.on('data', (chunk: Buffer) => task.stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => task.stderr.push(chunk));
    if (this.invocation.timeoutMs !== null) task.timer = setTimeout(() => this.timeOut(task), this.invocation.timeoutMs);
    child.once('close', () => void child.exited.then((info) => this.ended(index, task, info)));
  }

  private ended(index: number, task: Running, info: ExitInfo): void {
    if (task.timer !== null) clearTimeout(task.timer);
    this.running.delete(task);
    if (this.invocation.verbose) log(`task ${index}: ${describeExit(info)}`);
    this.record(index, info, { timedOut: task.timedOut });
    this.print({ index, stdout: Buffer.concat(task.stdout), stderr: Buffer.concat(task.stderr) });
    this.launchMore();
  }

  // With --json, stdout carries the summary alone; the outputs are not printed.
  private print(block: Block): void {
    if (!this.invocation.json) this.printer.add(block);
  }

  private timeOut(task: Running): void {
    task.timedOut = true;
    task.child.killGroup('SIGTERM');
    setTimeout(() => task.child.killGroup('SIGKILL'), TERM_GRACE_MS).unref();
  }

  private stop(signal: NodeJS.Signals): void {
    this.stoppedBy = signal;
    this.killAll('SIGTERM');
    setTimeout(() => this.killAll('SIGKILL'), TERM_GRACE_MS).unref();
    this.launchMore();
  }

  private killAll(signal: NodeJS.Signals): void {
    for (const task of this.running) task.child.killGroup(signal);
  }

  private record(index: number, info: ExitInfo | null, extra: { timedOut?: boolean; error?: string; exitCode?: number | null }): void {
    const usage = info?.rusage ?? null;
    const record: TaskRecord = {
      index,
      pid: info?.pid ?? null,
      ok: info !== null && info.exitCode === 0 && extra.timedOut !== true,
      exitCode: info?.exitCode ?? extra.exitCode ?? null,
      signal: info?.signal ?? null,
      timedOut: extra.timedOut ?? false,
      durationMs: info?.durationMs ?? 0,
      userCpuMs: usage === null ? null : usage.userCpuMicros / 1000,
      systemCpuMs: usage === null ? null : usage.systemCpuMicros / 1000,
      maxRssKiB: usage?.maxRssKiB ?? null,
    };
    if (extra.error !== undefined) record.error = extra.error;
    this.records[index] = record;
    if (record.ok) this.succeeded++;
    else this.failed++;
  }

  private drawProgress(): void {
    const counts = { done: this.succeeded, failed: this.failed, running: this.running.size, total: this.invocation.tasks };
    this.progress?.update(counts, this.running.size === 0);
  }

  private summary() {
    const records = this.records.filter((record): record is TaskRecord => record !== undefined);
    return {
      mode: 'commands',
      command: this.invocation.command.argv,
      workers: this.invocation.workers,
      tasks: this.invocation.tasks,
      started: records.length,
      succeeded: this.succeeded,
      failed: this.failed,
      interruptedBy: this.stoppedBy,
      wallMs: performance.now() - this.startedAt,
      results: records,
    };
  }
}
