// `--worker "command"`: a supervised pool of protocol workers; each input line is one task, and
// the results come out one per line, in input order (a failed task prints an empty line, so
// output line n is always input line n; the error goes to stderr with the line number).
//
// The pool is fed no more tasks than it has workers: the rest wait here, read but not started,
// so that SIGINT or SIGTERM can stop feeding and leave them unstarted. The running ones get
// --drain-timeout to finish, then the pool's ladder (SHUTDOWN_REQUEST, SIGTERM, SIGKILL). Each
// worker is in a process group of its own: a Ctrl-C on the terminal reaches us, not them.
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface, type Interface } from 'node:readline';
import { Pool } from '../pool';
import type { WorkerPoolInvocation } from './args';
import { readInputFile, splitItems } from './inputs';
import { describeExit, describeSpawn, log, onInterrupt, poolExitStatus } from './lifecycle';
import { whenDrained } from './output';
import { Progress } from './progress';
import { isLocal, remoteLine } from './remote';

/**
 * The argv of each worker: the command itself, or with -S hosts (taken in turn) ssh to the host
 * running it there; the protocol's frames go through ssh's stdin and stdout as through a pipe,
 * and a worker sees EOF on its stdin once its ssh is gone.
 */
function workerArgvOf(invocation: WorkerPoolInvocation): (workerId: number) => string[] {
  const { command, remote } = invocation;
  return (workerId) => {
    const host = remote?.hosts[workerId % remote.hosts.length];
    if (remote === null || host === undefined || isLocal(host)) return command.argv;
    return [...remote.ssh, host.login, remoteLine(command, command.argv)];
  };
}

interface LineResult {
  line: number;
  ok: boolean;
  durationMs: number;
  /** The worker that ran it; null for a task no worker took. */
  pid: number | null;
  output: Buffer | null;
  error?: string;
}

export class WorkerPoolRun {
  private readonly progress: Progress | null;
  private readonly results = new Map<number, LineResult>();
  private readonly summaries: (Omit<LineResult, 'output'> & { result?: string })[] = [];
  private readonly startedAt = performance.now();
  private readonly waiting: { line: number; text: string }[] = [];
  private total: number | null = null;
  private nextToPrint = 1;
  private inFlight = 0;
  private succeeded = 0;
  private failed = 0;
  private stoppedBy: NodeJS.Signals | null = null;
  private readonly pool: Pool;
  private reader: { input: NodeJS.ReadableStream & { destroy(): void }; lines: Interface } | null = null;
  // Resolved as tasks settle, to let the reader go on (at most a window's worth is read ahead).
  private readonly waiters: (() => void)[] = [];
  private readonly settled: Promise<void>[] = [];

  constructor(private readonly invocation: WorkerPoolInvocation) {
    this.progress = Progress.forStream(process.stderr, invocation.progress);
    const workerArgv = workerArgvOf(invocation);
    this.pool = new Pool({
      command: (workerId) => workerArgv(workerId)[0] as string,
      args: (workerId) => workerArgv(workerId).slice(1),
      size: invocation.workers,
      retries: invocation.retries,
      processGroup: 0,
      ...(invocation.spawnMethod === undefined ? {} : { spawnMethod: invocation.spawnMethod }),
      ...(invocation.timeoutMs === null ? {} : { taskTimeoutMs: invocation.timeoutMs }),
      shutdown: { drainTimeoutMs: invocation.drainTimeoutMs },
      stderr: 'inherit',
    });
    if (invocation.verbose) this.logLifecycle();
  }

  async run(): Promise<number> {
    const removeHandlers = onInterrupt(
      (signal) => this.stop(signal),
      () => this.pool.kill(),
    );
    try {
      if (this.invocation.input !== null) this.total = splitItems(await readInputFile(this.invocation.input), null).length;
      await this.pool.start();
      await this.feed();
    } catch (error) {
      // Stopped while the workers were starting: start() rejects, and that is no failure of theirs.
      if (this.stoppedBy === null) throw error;
    } finally {
      removeHandlers();
      await this.pool.close();
      this.progress?.clear();
    }
    if (this.invocation.json) process.stdout.write(`${JSON.stringify(this.summary())}\n`);
    return poolExitStatus(this.stoppedBy, this.failed);
  }

  // Reads lines, keeping at most `window` of them read and not finished: a huge input is never
  // held whole.
  private async feed(): Promise<void> {
    const input = this.invocation.input === null ? process.stdin : createReadStream(this.invocation.input);
    const lines = createInterface({ input, crlfDelay: Infinity });
    this.reader = { input, lines };
    const window = this.invocation.maxQueue ?? this.invocation.workers * 4;
    let lineNumber = 0;
    for await (const line of lines) {
      await this.stdoutDrained();
      if (this.stoppedBy !== null) break;
      this.waiting.push({ line: ++lineNumber, text: line });
      this.startWaiting();
      if (this.inFlight + this.waiting.length >= window) await this.oneSettles();
    }
    lines.close();
    input.destroy();
    while (this.waiting.length > 0 && this.stoppedBy === null) await this.oneSettles();
    await Promise.all(this.settled);
  }

  // Hands waiting tasks to the pool while it has a worker for them.
  private startWaiting(): void {
    while (this.stoppedBy === null && this.inFlight < this.invocation.workers && this.waiting.length > 0) {
      const task = this.waiting.shift() as { line: number; text: string };
      this.settled.push(this.submit(task.line, task.text));
    }
    this.drawProgress();
  }

  // While our stdout is full, no more input is read: a slow reader of the results slows the
  // tasks down instead of having them pile up in our memory. An interrupt ends the wait.
  private async stdoutDrained(): Promise<void> {
    while (process.stdout.writableNeedDrain && this.stoppedBy === null) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        void whenDrained(process.stdout).then(() => {
          // Drained first: a settle must not spend its wake-up on this wait, gone by then.
          const index = this.waiters.indexOf(resolve);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve();
        });
      });
    }
  }

  private oneSettles(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async submit(line: number, text: string): Promise<void> {
    this.inFlight++;
    const startedAt = performance.now();
    // The worker that ran it last (a retry goes to another); a failure also names it.
    let pid: number | null = null;
    try {
      const output = await this.pool.run(text, { onAssign: (worker) => (pid = worker.pid) });
      this.settle({ line, ok: true, durationMs: performance.now() - startedAt, pid, output });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.settle({ line, ok: false, durationMs: performance.now() - startedAt, pid, output: null, error: message });
    }
  }

  private settle(result: LineResult): void {
    this.inFlight--;
    if (result.ok) this.succeeded++;
    else this.failed++;
    const { output, ...summary } = result;
    this.summaries.push(output === null ? summary : { ...summary, result: output.toString('utf8') });
    this.results.set(result.line, result);
    this.printReady();
    this.startWaiting();
    this.waiters.shift()?.();
  }

  // Results in input order: a line's result waits for those of the lines before it.
  private printReady(): void {
    for (let ready = this.results.get(this.nextToPrint); ready !== undefined; ready = this.results.get(this.nextToPrint)) {
      this.results.delete(this.nextToPrint++);
      this.progress?.clear();
      if (!ready.ok && !this.invocation.quiet) log(`line ${ready.line}: ${ready.error}`);
      if (this.invocation.json) continue;
      process.stdout.write(ready.ok ? Buffer.concat([ready.output as Buffer, Buffer.from('\n')]) : '\n');
    }
  }

  // No more input is read and no waiting task is started; the pool's ladder lets the running
  // ones finish within --drain-timeout, then stops the workers.
  private stop(signal: NodeJS.Signals): void {
    this.stoppedBy = signal;
    this.waiting.length = 0;
    // Closing the interface ends the for-await loop; destroying the stream releases the fd.
    this.reader?.lines.close();
    this.reader?.input.destroy();
    for (const wake of this.waiters.splice(0)) wake();
    void this.pool.close();
  }

  private drawProgress(): void {
    this.progress?.update({ done: this.succeeded, failed: this.failed, running: this.inFlight, queued: this.waiting.length, total: this.total });
  }

  private logLifecycle(): void {
    const argv = this.invocation.command.argv;
    this.pool.on('spawn', ({ workerId, pid }) => log(`worker ${workerId}: ${describeSpawn(pid, argv)}`));
    this.pool.on('exit', ({ workerId, info }) => log(`worker ${workerId}: ${describeExit(info)}`));
    this.pool.on('crash', ({ workerId, pid, reason, state }) => log(`worker ${workerId}: pid ${pid} crashed (${reason}, while ${state})`));
    this.pool.on('respawn', ({ workerId, pid, restarts }) => log(`worker ${workerId}: respawned as pid ${pid} (restart ${restarts})`));
  }

  private summary() {
    return {
      mode: 'workers',
      worker: this.invocation.command.argv,
      workers: this.invocation.workers,
      tasks: this.summaries.length,
      succeeded: this.succeeded,
      failed: this.failed,
      interruptedBy: this.stoppedBy,
      wallMs: performance.now() - this.startedAt,
      results: this.summaries.sort((a, b) => a.line - b.line),
    };
  }
}
