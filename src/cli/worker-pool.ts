// `--worker "command"`: a supervised pool of protocol workers; each input line is one task, and
// the results come out one per line, in input order.
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface, type Interface } from 'node:readline';
import { Pool } from '../pool';
import type { WorkerPoolInvocation } from './args';
import { describeExit, describeSpawn, log, onInterrupt, statusForSignal } from './lifecycle';
import { Progress } from './progress';

interface LineResult {
  line: number;
  ok: boolean;
  durationMs: number;
  output: Buffer | null;
  error?: string;
}

export class WorkerPoolRun {
  private readonly progress = Progress.forStream(process.stderr);
  private readonly results = new Map<number, LineResult>();
  private readonly summaries: Omit<LineResult, 'output'>[] = [];
  private readonly startedAt = performance.now();
  private nextToPrint = 1;
  private inFlight = 0;
  private succeeded = 0;
  private failed = 0;
  private stoppedBy: NodeJS.Signals | null = null;
  private readonly pool: Pool;
  private reader: { input: NodeJS.ReadableStream & { destroy(): void }; lines: Interface } | null = null;
  // Resolved as tasks settle, to let the reader go on (at most a window's worth, so no deep queue).
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly invocation: WorkerPoolInvocation) {
    const [command, ...args] = invocation.command.argv as [string, ...string[]];
    this.pool = new Pool({
      command,
      args,
      size: invocation.workers,
      retries: invocation.retries,
      ...(invocation.timeoutMs === null ? {} : { taskTimeoutMs: invocation.timeoutMs }),
      ...(invocation.maxQueue === null ? {} : { maxQueue: invocation.maxQueue }),
      stderr: 'inherit',
    });
    if (invocation.verbose) this.logLifecycle();
  }

  async run(): Promise<number> {
    const removeHandlers = onInterrupt(
      (signal) => this.stop(signal),
      () => this.stopNow(),
    );
    try {
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
    if (this.stoppedBy !== null) return statusForSignal(this.stoppedBy);
    return this.failed === 0 ? 0 : 1;
  }

  // Reads lines and keeps at most `window` tasks in flight, so a huge input is never held whole.
  private async feed(): Promise<void> {
    const input = this.invocation.input === null ? process.stdin : createReadStream(this.invocation.input);
    const lines = createInterface({ input, crlfDelay: Infinity });
    this.reader = { input, lines };
    const window = this.invocation.maxQueue ?? this.invocation.workers * 4;
    const settled: Promise<void>[] = [];
    let lineNumber = 0;
    for await (const line of lines) {
      if (this.stoppedBy !== null) break;
      lineNumber++;
      settled.push(this.submit(lineNumber, line));
      if (this.inFlight >= window) await this.oneSettles();
    }
    lines.close();
    input.destroy();
    await Promise.all(settled);
  }

  private oneSettles(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async submit(line: number, text: string): Promise<void> {
    this.inFlight++;
    this.drawProgress();
    const startedAt = performance.now();
    try {
      const output = await this.pool.run(text);
      this.settle({ line, ok: true, durationMs: performance.now() - startedAt, output });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.settle({ line, ok: false, durationMs: performance.now() - startedAt, output: null, error: message });
    }
  }

  private settle(result: LineResult): void {
    this.inFlight--;
    if (result.ok) this.succeeded++;
    else this.failed++;
    this.summaries.push({ line: result.line, ok: result.ok, durationMs: result.durationMs, ...(result.error === undefined ? {} : { error: result.error }) });
    this.results.set(result.line, result);
    this.printReady();
    this.drawProgress();
    this.waiters.shift()?.();
  }

  // Results in input order: a line's result waits for those of the lines before it.
  private printReady(): void {
    for (let ready = this.results.get(this.nextToPrint); ready !== undefined; ready = this.results.get(this.nextToPrint)) {
      this.results.delete(this.nextToPrint++);
      this.progress?.clear();
      if (ready.ok) {
        if (!this.invocation.json) process.stdout.write(Buffer.concat([ready.output as Buffer, Buffer.from('\n')]));
      } else {
        log(`line ${ready.line}: ${ready.error}`);
      }
    }
  }

  // No more input is read; the pool's ladder lets running tasks finish, then stops the workers.
  private stop(signal: NodeJS.Signals): void {
    this.stoppedBy = signal;
    // Closing the interface ends the for-await loop; destroying the stream releases the fd.
    this.reader?.lines.close();
    this.reader?.input.destroy();
    void this.pool.close();
  }

  // A second SIGINT: no more ladder, every worker SIGKILLed now.
  private stopNow(): void {
    this.pool.kill();
  }

  private drawProgress(): void {
    this.progress?.update({ done: this.succeeded, failed: this.failed, running: this.inFlight, total: null });
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
