// A pool of commands, as GNU parallel runs them: one run per input (::: a b, :::: FILE, stdin,
// --tasks M), at most N at once, a new one started as each ends. Each run is in a process group
// of its own, so that a timeout or an interrupt stops what it started too.
import { performance } from 'node:perf_hooks';
import { SpawnError } from '../errors';
import { spawn } from '../spawn';
import type { ExitInfo, Subprocess } from '../subprocess';
import { toSignalNumber } from '../signals';
import { MAX_JOBS_FOR_ZERO, type CommandPoolInvocation } from './args';
import { groupJobs, readJobs, type Job } from './inputs';
import { JobLog, seqsToSkip } from './joblog';
import { describeExit, describeSpawn, formatMs, log, onInterrupt, poolExitStatus } from './lifecycle';
import { OutputPrinter, RunOutput } from './output';
import { haltReached, percentTimeoutMs } from './policy';
import { Progress } from './progress';
import { displayCommand, expandCommand } from './replace';
import { ResultsDirectory, type RunResultFiles } from './results';
import { SpoolDirectory } from './spool';

// After SIGTERM, how long a run's process group gets before SIGKILL.
const TERM_GRACE_MS = 2000;

export interface RunRecord {
  seq: number;
  args: string[];
  pid: number | null;
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  attempts: number;
  durationMs: number;
  userCpuMs: number | null;
  systemCpuMs: number | null;
  maxRssKiB: number | null;
  error?: string;
  stdout?: string;
  stderr?: string;
  stdoutPath?: string;
  stderrPath?: string;
}

interface Running {
  job: Job;
  order: number;
  slot: number;
  attempt: number;
  argv: string[];
  child: Subprocess;
  output: RunOutput;
  files: RunResultFiles | null;
  startedAtMs: number;
  timedOutAfterMs: number | null;
  timer: NodeJS.Timeout | null;
}

export class CommandPool {
  private readonly records: RunRecord[] = [];
  private readonly running = new Set<Running>();
  private readonly freeSlots: number[] = [];
  private readonly spoolDirectory = new SpoolDirectory();
  private readonly printer: OutputPrinter;
  private readonly progress: Progress | null;
  private readonly results: ResultsDirectory | null;
  private readonly runtimesMs: number[] = [];
  private readonly startedAt = performance.now();
  private jobs: Job[] = [];
  private skip = new Set<number>();
  private joblog: JobLog | null = null;
  private workers = 1;
  private next = 0;
  private lastStartAt = -Infinity;
  private delayTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private succeeded = 0;
  private failed = 0;
  private stoppedBy: NodeJS.Signals | null = null;
  private halted = false;
  private finish!: () => void;

  constructor(private readonly invocation: CommandPoolInvocation) {
    this.progress = Progress.forStream(process.stderr, invocation.progress);
    this.results = invocation.results === null ? null : new ResultsDirectory(invocation.results);
    this.printer = new OutputPrinter({
      mode: invocation.output,
      keepOrder: invocation.keepOrder,
      keep: invocation.json,
      beforeWrite: () => this.progress?.clear(),
    });
  }

  async run(): Promise<number> {
    this.jobs = groupJobs(await readJobs(this.invocation.sources, this.invocation), this.invocation.maxArgs);
    if (this.invocation.resume !== 'no') this.skip = seqsToSkip(this.invocation.joblog as string, this.invocation.resume);
    this.workers = this.invocation.workers === 0 ? Math.min(Math.max(this.jobs.length, 1), MAX_JOBS_FOR_ZERO) : this.invocation.workers;
    for (let slot = this.workers; slot >= 1; slot--) this.freeSlots.push(slot);
    if (this.invocation.dryRun) return this.dryRun();
    if (this.invocation.joblog !== null) this.joblog = JobLog.open(this.invocation.joblog, this.invocation.resume !== 'no');
    const removeHandlers = onInterrupt(
      (signal) => this.stop(signal),
      () => this.killNow(),
    );
    const finished = new Promise<void>((resolve) => (this.finish = resolve));
    try {
      this.launchMore();
      await finished;
    } finally {
      removeHandlers();
      await this.printer.flush();
      this.progress?.clear();
      this.spoolDirectory.remove();
      this.joblog?.close();
    }
    if (this.invocation.json) process.stdout.write(`${JSON.stringify(this.summary())}\n`);
    return poolExitStatus(this.stoppedBy, this.failed);
  }

  // --dry-run: the commands, one per line, as they would run; nothing is started.
  private dryRun(): number {
    this.jobs.forEach((job, order) => {
      if (this.skip.has(job.seq)) return;
      const argv = expandCommand(this.invocation.command, job, (order % this.workers) + 1, this.invocation.appendArguments);
      process.stdout.write(`${displayCommand(argv, this.invocation.command.shell)}\n`);
    });
    return 0;
  }

  private launchMore(): void {
    while (this.canStart() && this.freeSlots.length > 0 && this.next < this.jobs.length) {
      const order = this.next;
      const job = this.jobs[order] as Job;
      if (this.skip.has(job.seq)) {
        this.next++;
        this.printer.skipped(order);
        continue;
      }
      const wait = this.lastStartAt + this.invocation.delayMs - performance.now();
      if (wait > 0) {
        this.delayTimer ??= setTimeout(() => {
          this.delayTimer = null;
          this.launchMore();
        }, wait);
        break;
      }
      this.next++;
      this.lastStartAt = performance.now();
      this.launch(job, order, this.freeSlots.pop() as number, 1);
    }
    this.drawProgress();
    const nothingMore = !this.canStart() || this.next >= this.jobs.length;
    if (this.running.size === 0 && nothingMore) this.end();
  }

  private canStart(): boolean {
    return this.stoppedBy === null && !this.halted;
  }

  private end(): void {
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    // Runs never started are skipped, so that --keep-order does not wait for them.
    for (; this.next < this.jobs.length; this.next++) this.printer.skipped(this.next);
    this.finish();
  }

  private launch(job: Job, order: number, slot: number, attempt: number): void {
    const [file, ...args] = expandCommand(this.invocation.command, job, slot, this.invocation.appendArguments) as [string, ...string[]];
    const output = new RunOutput(this.printer, order, this.invocation.tag ? job.args.join(' ') : null, this.spoolDirectory);
    let child: Subprocess;
    try {
      child = spawn(file, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        processGroup: 0,
        env: { ...process.env, PROCESS_SPAWNER_SEQ: String(job.seq), PROCESS_SPAWNER_SLOT: String(slot) },
        ...(this.invocation.spawnMethod === undefined ? {} : { spawnMethod: this.invocation.spawnMethod }),
      });
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      this.freeSlots.push(slot);
      this.printer.started(output);
      output.end();
      this.settle(job, [file, ...args], { info: null, attempt, error, timedOutAfterMs: null, files: null, output });
      return;
    }
    if (this.invocation.verbose) log(`run ${job.seq}: ${describeSpawn(child.pid, child.spawnargs)}`);
    const files = this.results?.forRun(job) ?? null;
    const run: Running = { job, order, slot, attempt, argv: [file, ...args], child, output, files, startedAtMs: Date.now(), timedOutAfterMs: null, timer: null };
    this.running.add(run);
    this.printer.started(output);
    for (const name of ['stdout', 'stderr'] as const) {
      const source = child[name];
      source?.on('data', (chunk: Buffer) => {
        files?.[name](chunk);
        const drained = output.write(name, chunk);
        if (drained === null) return;
        source.pause();
        void drained.then(() => source.resume());
      });
    }
    const limitMs = this.timeoutMs();
    if (limitMs !== null) run.timer = setTimeout(() => this.timeOut(run, limitMs), limitMs);
    child.once('close', () => void child.exited.then((info) => this.ended(run, info)));
  }

  private timeoutMs(): number | null {
    const limit = this.invocation.timeout;
    if (limit === null) return null;
    return limit.kind === 'ms' ? limit.ms : percentTimeoutMs(limit.percent, this.runtimesMs);
  }

  private ended(run: Running, info: ExitInfo): void {
    if (run.timer !== null) clearTimeout(run.timer);
    this.running.delete(run);
    if (this.invocation.verbose) log(`run ${run.job.seq}: ${describeExit(info)}`);
    const ok = runSucceeded(info, run.timedOutAfterMs);
    if (ok) this.runtimesMs.push(info.durationMs);
    run.files?.end(info);
    if (!ok && run.attempt <= this.invocation.retries && this.canStart()) {
      // Another attempt, in the same slot; only the last attempt's output is printed.
      run.output.discard();
      this.launch(run.job, run.order, run.slot, run.attempt + 1);
      this.launchMore();
      return;
    }
    this.freeSlots.push(run.slot);
    run.output.end();
    this.settle(run.job, run.argv, { info, attempt: run.attempt, error: null, timedOutAfterMs: run.timedOutAfterMs, files: run.files, output: run.output, startedAtMs: run.startedAtMs });
    this.launchMore();
  }

  private settle(
    job: Job,
    argv: string[],
    end: {
      info: ExitInfo | null;
      attempt: number;
      error: SpawnError | null;
      timedOutAfterMs: number | null;
      files: RunResultFiles | null;
      output: RunOutput;
      startedAtMs?: number;
    },
  ): void {
    const { info, error } = end;
    const usage = info?.rusage ?? null;
    // A run that could not be spawned took no time.
    const durationMs = info?.durationMs ?? 0;
    const stoppedByUs = (this.stoppedBy !== null || this.halted) && info !== null && info.signal !== null;
    const record: RunRecord = {
      seq: job.seq,
      args: job.args,
      pid: info?.pid ?? null,
      ok: runSucceeded(info, end.timedOutAfterMs),
      exitCode: info?.exitCode ?? error?.exitCode ?? (error === null ? null : 127),
      signal: info?.signal ?? null,
      timedOut: end.timedOutAfterMs !== null,
      attempts: end.attempt,
      durationMs,
      userCpuMs: usage === null ? null : usage.userCpuMicros / 1000,
      systemCpuMs: usage === null ? null : usage.systemCpuMicros / 1000,
      maxRssKiB: usage?.maxRssKiB ?? null,
    };
    if (error !== null) record.error = error.message;
    // With --json the output is kept for the summary, not printed: the printer never frees it.
    if (this.invocation.json) {
      Object.assign(record, end.files?.paths() ?? end.output.texts());
      end.output.dispose();
    }
    this.records.push(record);
    // Runs we stopped ourselves (an interrupt) are not counted as failures of theirs.
    if (record.ok) this.succeeded++;
    else if (!stoppedByUs) this.failed++;
    if (!record.ok && !stoppedByUs && !this.invocation.quiet) this.progressSafeLog(describeFailure(record, end.timedOutAfterMs));
    this.joblog?.add({
      seq: job.seq,
      startedAtMs: end.startedAtMs ?? Date.now(),
      runtimeMs: durationMs,
      receivedBytes: end.output.bytes,
      exitCode: record.exitCode ?? 0,
      signalNumber: record.signal === null ? 0 : toSignalNumber(record.signal),
      command: displayCommand(argv, this.invocation.command.shell),
      userCpuMs: record.userCpuMs,
      systemCpuMs: record.systemCpuMs,
      maxRssKiB: record.maxRssKiB,
    });
    this.checkHalt();
  }

  private checkHalt(): void {
    const halt = this.invocation.halt;
    if (halt === null || this.halted) return;
    if (!haltReached(halt, { failed: this.failed, succeeded: this.succeeded, total: this.jobs.length })) return;
    this.halted = true;
    if (!this.invocation.quiet) this.progressSafeLog(`--halt ${halt.when},${halt.on}: ${halt.when === 'now' ? 'stopping the running runs' : 'starting no more runs, waiting for the running ones'}`);
    if (halt.when === 'now') this.terminateAll();
  }

  private progressSafeLog(message: string): void {
    this.progress?.clear();
    log(message);
  }

  private timeOut(run: Running, limitMs: number): void {
    run.timedOutAfterMs = limitMs;
    termThenKill((signal) => run.child.killGroup(signal));
  }

  // SIGINT, SIGTERM: no queued run is started; the running ones get --drain-timeout to finish,
  // then the ladder. SIGHUP (the terminal is gone) and a closed stdout (nobody reads what they
  // print) leave nothing to wait for: the ladder at once.
  private stop(signal: NodeJS.Signals): void {
    this.stoppedBy = signal;
    const drainMs = signal === 'SIGINT' || signal === 'SIGTERM' ? this.invocation.drainTimeoutMs : 0;
    if (this.running.size > 0 && !this.invocation.quiet) {
      const again = signal === 'SIGINT' ? '; Ctrl-C again to kill them now' : '';
      const running = `${this.running.size} running run${this.running.size === 1 ? '' : 's'}`;
      this.progressSafeLog(drainMs > 0 ? `${signal}: starting no more runs; the ${running} get ${formatMs(drainMs)} to finish${again}` : `${signal}: stopping the ${running}`);
    }
    if (drainMs > 0) {
      this.drainTimer = setTimeout(() => this.terminateAll(), drainMs);
    } else {
      this.terminateAll();
    }
    this.launchMore();
  }

  // A second SIGINT: no more waiting.
  private killNow(): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.killAll('SIGKILL');
  }

  // SIGTERM to every run's group, SIGKILL to those still there after the grace period.
  private terminateAll(): void {
    termThenKill((signal) => this.killAll(signal));
  }

  private killAll(signal: NodeJS.Signals): void {
    for (const run of this.running) run.child.killGroup(signal);
  }

  private drawProgress(): void {
    const total = this.jobs.length - this.skip.size;
    this.progress?.update({ done: this.succeeded, failed: this.failed, running: this.running.size, queued: null, total }, this.running.size === 0);
  }

  private summary() {
    return {
      mode: 'commands',
      command: this.invocation.command.argv,
      workers: this.workers,
      tasks: this.jobs.length,
      started: this.records.length,
      succeeded: this.succeeded,
      failed: this.failed,
      interruptedBy: this.stoppedBy,
      halted: this.halted,
      wallMs: performance.now() - this.startedAt,
      results: [...this.records].sort((a, b) => a.seq - b.seq),
    };
  }
}

/** SIGTERM now, SIGKILL after TERM_GRACE_MS: the ladder of a timeout and of a stop. */
function termThenKill(kill: (signal: NodeJS.Signals) => void): void {
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), TERM_GRACE_MS).unref();
}

/** A run succeeded when it exited 0 in time (one that could not be spawned has no ExitInfo). */
function runSucceeded(info: ExitInfo | null, timedOutAfterMs: number | null): boolean {
  return info !== null && info.exitCode === 0 && timedOutAfterMs === null;
}

/** `run 3 (a.txt): exit 1, pid 4242` — the one stderr line of a failed run. */
function describeFailure(record: RunRecord, timedOutAfterMs: number | null): string {
  const what =
    record.error !== undefined
      ? record.error
      : timedOutAfterMs !== null
        ? `timed out after ${formatMs(timedOutAfterMs)}, ended by ${record.signal ?? `exit ${record.exitCode}`}`
        : record.signal !== null
          ? `killed by ${record.signal}`
          : `exit ${record.exitCode}`;
  const pid = record.pid === null ? '' : `, pid ${record.pid}`;
  const attempts = record.attempts > 1 ? `, after ${record.attempts} attempts` : '';
  return `run ${record.seq} (${record.args.join(' ')}): ${what}${pid}${attempts}`;
}
