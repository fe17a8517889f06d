// A pool of commands, as GNU parallel runs them: one run per input (::: a b, :::: FILE, stdin,
// --tasks M) or per block of stdin (--pipe), at most N at once (per host, over ssh), a new one
// started as each ends. Each run is in a process group of its own, so that a timeout or an
// interrupt stops what it started too.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SpawnError } from '../core/errors';
import { spawn } from '../core/spawn';
import type { ExitInfo, Subprocess } from '../core/subprocess';
import { toSignalNumber } from '../core/signals';
import { MAX_JOBS_FOR_ZERO, type CommandPoolInvocation } from './args';
import { byteExactArgv, encodeBytes } from './bytes';
import { groupJobs, readJobs, type Job } from './inputs';
import { JobLog, seqsToSkip } from './joblog';
import { describeExit, describeSpawn, formatMs, log, onInterrupt, poolExitStatus, statusForSignal } from './lifecycle';
import { OutputPrinter, RunOutput } from './output';
import { BlockReader } from './pipe';
import { haltExitStatus, haltReached, percentTimeoutMs } from './policy';
import { Progress } from './progress';
import type { RemoteHost } from './remote-args';
import { askHostSlots, isLocal, remoteArgv, remoteFiles, remoteLine } from './remote';
import { displayCommand, expandCommand } from './replace';
import { ResultsDirectory, type RunResultFiles } from './results';
import { ProgramPaths } from './program-paths';
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
  child: Subprocess;
  output: RunOutput;
  files: RunResultFiles | null;
  host: RemoteHost | null;
  startedAtMs: number;
  timedOutAfterMs: number | null;
  timer: NodeJS.Timeout | null;
}

/** A failed run's one stderr line shows at most this much of its arguments. */
const SHOWN_ARGUMENTS = 200;

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
  // Our environment, read once: each read of process.env goes through a getter, per variable.
  private readonly baseEnv = { ...process.env };
  private readonly programs = new ProgramPaths();
  private jobs: Job[] = [];
  // False while --pipe is still cutting blocks of the input: more jobs may come.
  private inputEnded = true;
  private reader: BlockReader | null = null;
  // The host of each job slot (slot n at index n - 1); null: this machine.
  private readonly slotHosts: (RemoteHost | null)[] = [];
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
  // The status of the failed run that made --halt stop us (fail=1 exits with it).
  private haltFailureStatus = 1;
  private lastFailureStatus = 1;
  // Set when we cannot keep the runs' output (a spool or --results write failed): all stop, 255.
  private fatal: string | null = null;
  private finish!: () => void;

  constructor(private readonly invocation: CommandPoolInvocation) {
    this.progress = Progress.forStream(process.stderr, invocation.progress);
    this.results = invocation.results === null ? null : new ResultsDirectory(invocation.results);
    this.printer = new OutputPrinter({
      mode: invocation.output,
      keepOrder: invocation.keepOrder,
      keep: invocation.json,
      beforeWrite: () => this.progress?.clear(),
      onError: (error) => this.cannotKeepOutput(error),
    });
  }

  async run(): Promise<number> {
    const { invocation } = this;
    if (invocation.pipe === null) this.jobs = await this.readAllJobs();
    if (invocation.resume !== 'no') this.skip = seqsToSkip(invocation.joblog as string, invocation.resume);
    if (invocation.dryRun) {
      this.placeSlots();
      return this.dryRun();
    }
    if (invocation.joblog !== null) this.joblog = JobLog.open(invocation.joblog, invocation.resume !== 'no');
    const removeHandlers = onInterrupt(
      (signal) => this.stop(signal),
      () => this.killNow(),
    );
    const finished = new Promise<void>((resolve) => (this.finish = resolve));
    try {
      if (invocation.remote !== null) await askHostSlots(invocation.remote);
      this.placeSlots();
      if (invocation.pipe !== null) this.startReadingBlocks();
      this.launchMore();
      await finished;
    } finally {
      removeHandlers();
      this.reader?.stop();
      await this.printer.flush();
      this.progress?.clear();
      this.spoolDirectory.remove();
      this.joblog?.close();
    }
    if (invocation.json) process.stdout.write(`${JSON.stringify(this.summary())}\n`);
    return this.exitStatus();
  }

  private exitStatus(): number {
    if (this.fatal !== null) return 255;
    const halt = this.invocation.halt;
    if (this.stoppedBy === null && this.halted && halt !== null) {
      return haltExitStatus(halt, { failed: this.failed, succeeded: this.succeeded, total: this.jobs.length }, this.haltFailureStatus);
    }
    return poolExitStatus(this.stoppedBy, this.failed);
  }

  // The inputs, grouped into runs (-N, -m, -X); --onall and --nonall give every host its own.
  private async readAllJobs(): Promise<Job[]> {
    const { invocation } = this;
    const remote = invocation.remote;
    if (remote?.spread === 'nonall') return remote.hosts.map((host, i) => ({ seq: i + 1, args: [], host }));
    const inputs = await readJobs(invocation.sources, invocation);
    const spreadOver = invocation.spreadArguments ? (invocation.workers === 0 ? inputs.length : this.totalSlots()) : null;
    const jobs = groupJobs(inputs, invocation.maxArgs, spreadOver);
    if (remote?.spread !== 'onall') return jobs;
    return remote.hosts.flatMap((host, h) => jobs.map((job) => ({ ...job, seq: h * jobs.length + job.seq, host })));
  }

  // Job slots 1..N: N is -j (-j 0: one per input, capped), or with hosts the sum of theirs
  // (N/login, else -j each), numbered host after host. Free slots are taken from the end of the
  // list, which is laid out so that the hosts take turns: host 1's first, host 2's first, ...
  private placeSlots(): void {
    const { invocation } = this;
    const perHost = invocation.workers !== 0 ? invocation.workers : invocation.pipe === null ? Math.min(Math.max(this.jobs.length, 1), MAX_JOBS_FOR_ZERO) : availableParallelism();
    const hosts: (RemoteHost | null)[] = invocation.remote?.hosts ?? [null];
    const firstSlots: number[] = [];
    for (const host of hosts) {
      firstSlots.push(this.slotHosts.length + 1);
      for (let k = 0; k < (host?.slots ?? perHost); k++) this.slotHosts.push(host);
    }
    this.workers = this.slotHosts.length;
    const turns: number[] = [];
    for (let k = 0; turns.length < this.workers; k++) {
      hosts.forEach((host, h) => k < (host?.slots ?? perHost) && turns.push((firstSlots[h] as number) + k));
    }
    this.freeSlots.push(...turns.reverse());
  }

  private totalSlots(): number {
    const hosts = this.invocation.remote?.hosts;
    if (hosts === undefined) return this.invocation.workers;
    return hosts.reduce((sum, host) => sum + (host.slots ?? this.invocation.workers), 0);
  }

  // --pipe: a job per block as the reader cuts them; it waits while a block waits for a slot.
  private startReadingBlocks(): void {
    this.inputEnded = false;
    this.reader = new BlockReader(
      this.invocation.pipe as NonNullable<CommandPoolInvocation['pipe']>,
      (block) => {
        // The block waits for a slot with the reader paused; launchMore resumes it once started.
        this.jobs.push({ seq: this.jobs.length + 1, args: [], input: block });
        this.reader?.pause();
        this.launchMore();
      },
      (error) => {
        this.inputEnded = true;
        if (error !== null) this.cannotKeepOutput(error, 'read the input');
        this.launchMore();
      },
    );
  }

  // --dry-run: the commands, one per line, as they would run; nothing is started.
  private dryRun(): number {
    this.jobs.forEach((job, order) => {
      if (this.skip.has(job.seq)) return;
      process.stdout.write(encodeBytes(`${displayCommand(this.invocation.command, job, (order % this.workers) + 1, this.invocation.expansion)}\n`));
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
      const slot = this.takeSlot(job);
      if (slot === null) break;
      this.next++;
      this.lastStartAt = performance.now();
      this.launch(job, order, slot, 1);
    }
    // Every block cut so far has a run: the reader may cut the next.
    if (this.next >= this.jobs.length) this.reader?.resume();
    this.drawProgress();
    const nothingMore = !this.canStart() || (this.inputEnded && this.next >= this.jobs.length);
    if (this.running.size === 0 && nothingMore) this.end();
  }

  private canStart(): boolean {
    return this.stoppedBy === null && !this.halted && this.fatal === null;
  }

  // A free slot for the job: any, or one of its own host's (--onall, --nonall); null: none now.
  private takeSlot(job: Job): number | null {
    if (job.host === undefined) return this.freeSlots.pop() as number;
    for (let index = this.freeSlots.length - 1; index >= 0; index--) {
      if (this.slotHosts[(this.freeSlots[index] as number) - 1] === job.host) return this.freeSlots.splice(index, 1)[0] as number;
    }
    return null;
  }

  private end(): void {
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    // Runs never started are skipped, so that --keep-order does not wait for them.
    for (; this.next < this.jobs.length; this.next++) this.printer.skipped(this.next);
    this.finish();
  }

  private launch(job: Job, order: number, slot: number, attempt: number): void {
    const { invocation } = this;
    const host = job.host ?? this.slotHosts[slot - 1] ?? null;
    const runEnv = { PARALLEL_SEQ: String(job.seq), PARALLEL_JOBSLOT: String(slot), PROCESS_SPAWNER_SEQ: String(job.seq), PROCESS_SPAWNER_SLOT: String(slot) };
    const [file, ...args] = this.argvOf(job, slot, host, runEnv) as [string, ...string[]];
    const output = new RunOutput(this.printer, order, invocation.tag ? job.args.join(' ') : null, this.spoolDirectory);
    if (invocation.echoCommand !== null && attempt === 1) this.echoCommand(job, slot, output);
    let child: Subprocess;
    try {
      child = spawn(this.programs.resolve(file, this.baseEnv['PATH']), args, {
        argv0: file,
        // A block of --pipe goes to stdin; a remote run's ssh gets a pipe we keep open (see remote.ts).
        stdio: [job.input !== undefined || !isLocal(host) ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        processGroup: 0,
        env: { ...this.baseEnv, ...runEnv },
        ...(invocation.spawnMethod === undefined ? {} : { spawnMethod: invocation.spawnMethod }),
      });
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      this.freeSlots.push(slot);
      this.printer.started(output);
      output.end();
      this.settle(job, slot, { info: null, attempt, error, timedOutAfterMs: null, files: null, output, host });
      return;
    }
    if (invocation.verbose) log(`run ${job.seq}: ${describeSpawn(child.pid, child.spawnargs)}`);
    if (job.input !== undefined) {
      // A run that does not read its block (or not all of it) is its business: no EPIPE for us.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(job.input);
    }
    const run: Running = { job, order, slot, attempt, child, output, files: null, host, startedAtMs: Date.now(), timedOutAfterMs: null, timer: null };
    this.running.add(run);
    this.printer.started(output);
    try {
      run.files = this.results?.forRun(job) ?? null;
    } catch (error) {
      this.cannotKeepOutput(error, 'write the --results files');
    }
    for (const name of ['stdout', 'stderr'] as const) {
      const source = child[name];
      source?.on('data', (chunk: Buffer) => {
        let drained: Promise<void> | null;
        try {
          run.files?.[name](chunk);
          drained = output.write(name, chunk);
        } catch (error) {
          return this.cannotKeepOutput(error, 'hold the output of the runs');
        }
        if (drained === null) return;
        source.pause();
        void drained.then(() => source.resume());
      });
    }
    const limitMs = this.timeoutMs();
    if (limitMs !== null) run.timer = setTimeout(() => this.timeOut(run, limitMs), limitMs);
    child.once('close', () => void child.exited.then((info) => this.ended(run, info)));
  }

  // The argv of one run: the command expanded, sent to its host over ssh, and byte-exact.
  private argvOf(job: Job, slot: number, host: RemoteHost | null, runEnv: Record<string, string>): string[] {
    const { command, expansion, remote } = this.invocation;
    let argv = expandCommand(command, job, slot, expansion);
    let shell = command.shell;
    if (remote !== null && host !== null && !isLocal(host)) {
      argv = remoteArgv(remote, host, remoteLine(command, argv), runEnv, remoteFiles(remote, job, slot));
      shell = true;
    }
    return byteExactArgv(argv, shell, '/bin/sh');
  }

  // -v: the command, printed as the first line of the run's output; -t: on stderr, at its start.
  private echoCommand(job: Job, slot: number, output: RunOutput): void {
    const line = encodeBytes(`${displayCommand(this.invocation.command, job, slot, this.invocation.expansion)}\n`);
    if (this.invocation.echoCommand === 'stderr') {
      this.progress?.clear();
      if (!process.stderr.destroyed) process.stderr.write(line);
    } else {
      output.write('stdout', line);
    }
  }

  // A spool or --results file cannot be written (disk full, TMPDIR missing), or the --pipe input
  // cannot be read: what the runs print would be lost. Stop them all (as an interrupt does, at
  // once), say why in one line, and exit 255.
  private cannotKeepOutput(error: unknown, doing = 'hold the output of the runs'): void {
    if (this.fatal !== null) return;
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    const path = (error as NodeJS.ErrnoException).path;
    this.fatal = `cannot ${doing}${path === undefined ? '' : ` (${path})`}: ${code}`;
    this.progressSafeLog(`${this.fatal}; stopping the runs`);
    this.reader?.stop();
    this.inputEnded = true;
    this.terminateAll();
    this.launchMore();
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
    try {
      run.files?.end(info);
    } catch (error) {
      this.cannotKeepOutput(error, 'write the --results files');
    }
    const attempts = this.invocation.attempts;
    if (!ok && (attempts === 0 || run.attempt < attempts) && this.canStart()) {
      // Another attempt, in the same slot; only the last attempt's output is printed.
      run.output.discard();
      this.launch(run.job, run.order, run.slot, run.attempt + 1);
      this.launchMore();
      return;
    }
    this.freeSlots.push(run.slot);
    run.output.end();
    this.settle(run.job, run.slot, { info, attempt: run.attempt, error: null, timedOutAfterMs: run.timedOutAfterMs, files: run.files, output: run.output, startedAtMs: run.startedAtMs, host: run.host });
    this.launchMore();
  }

  private settle(
    job: Job,
    slot: number,
    end: {
      info: ExitInfo | null;
      attempt: number;
      error: SpawnError | null;
      timedOutAfterMs: number | null;
      files: RunResultFiles | null;
      output: RunOutput;
      startedAtMs?: number;
      host: RemoteHost | null;
    },
  ): void {
    const { info, error } = end;
    const usage = info?.rusage ?? null;
    // A run that could not be spawned took no time.
    const durationMs = info?.durationMs ?? 0;
    const stoppedByUs = (this.stoppedBy !== null || this.halted || this.fatal !== null) && info !== null && info.signal !== null;
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
    if (error !== null) record.error = error.code === 'E2BIG' ? tooLong(error, job) : error.message;
    // With --json the output is kept for the summary, not printed: the printer never frees it.
    if (this.invocation.json) {
      Object.assign(record, end.files?.paths() ?? end.output.texts());
      end.output.dispose();
    }
    this.records.push(record);
    // Runs we stopped ourselves (an interrupt) are not counted as failures of theirs.
    if (record.ok) this.succeeded++;
    else if (!stoppedByUs) {
      this.failed++;
      this.lastFailureStatus = record.signal !== null ? statusForSignal(record.signal) : (record.exitCode ?? 1);
    }
    if (!record.ok && !stoppedByUs && !this.invocation.quiet) this.progressSafeLog(describeFailure(record, end.timedOutAfterMs));
    // Its block is sent and the run settled: the memory goes.
    const sentBytes = job.input?.length ?? 0;
    job.input = undefined;
    this.joblog?.add({
      seq: job.seq,
      host: end.host?.login ?? ':',
      startedAtMs: end.startedAtMs ?? Date.now(),
      runtimeMs: durationMs,
      sentBytes,
      receivedBytes: end.output.bytes,
      // A run stopped by --timeout: -1, as parallel writes it.
      exitCode: end.timedOutAfterMs !== null ? -1 : (record.exitCode ?? 0),
      signalNumber: record.signal === null ? 0 : toSignalNumber(record.signal),
      command: displayCommand(this.invocation.command, job, slot, this.invocation.expansion),
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
    this.haltFailureStatus = this.lastFailureStatus;
    this.reader?.stop();
    this.inputEnded = true;
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
    this.reader?.stop();
    this.inputEnded = true;
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

  // A second SIGINT, or SIGHUP or a lost output after the first signal: no more waiting.
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
    const total = this.inputEnded ? this.jobs.length - this.skip.size : null;
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
  return `run ${record.seq} (${shorten(record.args.join(' '))}): ${what}${pid}${attempts}`;
}

/** At most SHOWN_ARGUMENTS characters of `text`, and how long it was when cut. */
function shorten(text: string): string {
  return text.length <= SHOWN_ARGUMENTS ? text : `${text.slice(0, SHOWN_ARGUMENTS)}... (${text.length} characters)`;
}

/** E2BIG, said briefly: what was too long, not the whole command line again. */
function tooLong(error: SpawnError, job: Job): string {
  const argv = error.spawnargs ?? job.args;
  const bytes = argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
  const longest = argv.reduce((max, arg) => Math.max(max, Buffer.byteLength(arg)), 0);
  return `the command line is too long to run (E2BIG): ${bytes} bytes of arguments, the longest ${longest} bytes (Linux takes at most 128 KiB in one argument, and about 2 MiB with the environment)`;
}
