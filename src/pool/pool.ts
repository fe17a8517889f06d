// Pool: a supervised set of worker processes that speak the framing protocol (docs/protocol.md).
//
//   const pool = new Pool({ command: 'node', args: ['worker.mjs'], size: 4 });
//   await pool.start();                      // every worker has sent WORKER_READY
//   const result = await pool.run(payload, { timeoutMs, signal, retries });
//   await pool.close();                      // drain, SHUTDOWN_REQUEST, SIGTERM, SIGKILL
import { EventEmitter } from 'node:events';
import type { PoolEventMap } from './events';
import { normalizePoolOptions, type PoolOptions, type RunOptions } from './options';
import { Supervisor, type PoolStats } from './supervisor';

export class Pool extends EventEmitter<PoolEventMap> {
  readonly #supervisor: Supervisor;

  /** Validates every option (TypeError/RangeError) and spawns nothing until start(). */
  constructor(options: PoolOptions) {
    super();
    this.#supervisor = new Supervisor(normalizePoolOptions(options), this);
  }

  /** Number of workers the pool keeps. */
  get size(): number {
    return this.#supervisor.config.size;
  }

  /**
   * In a crash loop: `crashLoop.maxCrashes` start failures within `crashLoop.windowMs` (it trips
   * AT that one), and no worker has become healthy since. See docs/pool.md.
   */
  get degraded(): boolean {
    return this.#supervisor.degraded;
  }

  /**
   * Spawns the workers and resolves once each has sent WORKER_READY. Rejects with the SpawnError
   * at once when the command cannot be run, and with a WorkerStartError when a worker exits or
   * stays silent past `readyTimeoutMs`; every worker is then killed and reaped first.
   */
  start(): Promise<void> {
    return this.#supervisor.start();
  }

  /**
   * Runs one task on the next free worker (round robin), or queues it (FIFO). The result is the
   * worker's TASK_RESULT payload; the payload is sent as it is, not copied, so do not change it
   * before the task settles.
   */
  run(payload: Buffer | Uint8Array | string, options?: RunOptions): Promise<Buffer> {
    return this.#supervisor.run(payload, options);
  }

  stats(): PoolStats {
    return this.#supervisor.stats();
  }

  /**
   * Refuses new tasks, gives queued and running ones `drainTimeoutMs` to finish, then sends
   * SHUTDOWN_REQUEST and waits `ackTimeoutMs`, then SIGTERM and `termTimeoutMs`, then SIGKILL.
   * Resolves once every worker is reaped and its pipes are closed.
   */
  close(): Promise<void> {
    return this.#supervisor.close();
  }

  /**
   * SIGKILLs every worker at once, without the ladder: after close(), to end it now (the
   * command's second SIGINT). Without close(), the pool replaces them like any worker it stopped.
   */
  kill(): void {
    this.#supervisor.killWorkers();
  }
}
