// The errors a pool's tasks reject with. Each has a stable `code` to branch on, `name` on the
// prototype (as Node's own errors have), and the facts the caller needs to decide what to do.
import { ProcessSpawnerError } from '../core/errors';

export type PoolErrorCode =
  | 'ERR_POOL_QUEUE_FULL'
  | 'ERR_POOL_WORKER_EXIT'
  | 'ERR_POOL_WORKER_START'
  | 'ERR_POOL_TASK_TIMEOUT'
  | 'ERR_POOL_TASK_FAILED'
  | 'ERR_POOL_PROTOCOL'
  | 'ERR_POOL_DEGRADED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_NOT_STARTED'
  | 'ABORT_ERR';

/** The base of every pool error. */
export class PoolError extends ProcessSpawnerError {
  readonly code: PoolErrorCode;

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
PoolError.prototype.name = 'PoolError';

/** `run()` found `maxQueue` tasks already waiting. */
export class QueueFullError extends PoolError {
  readonly maxQueue: number;

  constructor(maxQueue: number) {
    super('ERR_POOL_QUEUE_FULL', `The pool's queue is full (maxQueue ${maxQueue})`);
    this.maxQueue = maxQueue;
  }
}
QueueFullError.prototype.name = 'QueueFullError';

/** How a worker process ended, as the errors and events report it. */
export interface WorkerExit {
  workerId: number;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

function describeExit(exit: WorkerExit): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.exitCode}`;
  return `worker ${exit.workerId} (pid ${exit.pid}) ${how}`;
}

/** The worker running the task died, and the task's retry budget is spent. */
export class WorkerExitError extends PoolError {
  readonly workerId: number;
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** How many times the task was sent to a worker, this last time included. */
  readonly attempts: number;

  constructor(exit: WorkerExit, attempts: number) {
    super('ERR_POOL_WORKER_EXIT', `The task failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describeExit(exit)}`);
    this.workerId = exit.workerId;
    this.pid = exit.pid;
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
    this.attempts = attempts;
  }
}
WorkerExitError.prototype.name = 'WorkerExitError';

/** `start()` failed: a worker exited, or sent no WORKER_READY in time, before it was ready. */
export class WorkerStartError extends PoolError {
  readonly workerId: number;
  readonly pid: number;
  readonly reason: 'exit' | 'timeout' | 'protocol';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;

  constructor(exit: WorkerExit, reason: 'exit' | 'timeout' | 'protocol', readyTimeoutMs: number, cause?: unknown) {
    const why =
      reason === 'timeout'
        ? `sent no WORKER_READY within ${readyTimeoutMs} ms`
        : reason === 'protocol'
          ? 'wrote something other than WORKER_READY to its stdout'
          : `${describeExit(exit).replace(/^worker \d+ \(pid \d+\) /, '')} before sending WORKER_READY`;
    super('ERR_POOL_WORKER_START', `Worker ${exit.workerId} (pid ${exit.pid}) ${why}`, cause === undefined ? undefined : { cause });
    this.workerId = exit.workerId;
    this.pid = exit.pid;
    this.reason = reason;
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
  }
}
WorkerStartError.prototype.name = 'WorkerStartError';

/** The task ran past its `timeoutMs`; its worker was SIGKILLed and replaced. */
export class TaskTimeoutError extends PoolError {
  readonly timeoutMs: number;
  readonly workerId: number;
  readonly pid: number;

  constructor(timeoutMs: number, workerId: number, pid: number) {
    super('ERR_POOL_TASK_TIMEOUT', `The task ran longer than ${timeoutMs} ms; worker ${workerId} (pid ${pid}) was killed`);
    this.timeoutMs = timeoutMs;
    this.workerId = workerId;
    this.pid = pid;
  }
}
TaskTimeoutError.prototype.name = 'TaskTimeoutError';

/** The worker's handler failed: it answered WORKER_ERROR. The worker goes on serving. */
export class TaskFailedError extends PoolError {
  /** The u32 code from the WORKER_ERROR payload (1 when the handler's error had none). */
  readonly errorCode: number;
  readonly workerId: number;
  readonly pid: number;

  constructor(errorCode: number, message: string, workerId: number, pid: number) {
    super('ERR_POOL_TASK_FAILED', message);
    this.errorCode = errorCode;
    this.workerId = workerId;
    this.pid = pid;
  }
}
TaskFailedError.prototype.name = 'TaskFailedError';

/** The worker broke the protocol (a bad frame, a reply to no task, stray bytes on stdout). */
export class ProtocolError extends PoolError {
  readonly workerId: number;
  readonly pid: number;

  constructor(message: string, workerId: number, pid: number, cause?: unknown) {
    super('ERR_POOL_PROTOCOL', `Worker ${workerId} (pid ${pid}) broke the protocol: ${message}`, cause === undefined ? undefined : { cause });
    this.workerId = workerId;
    this.pid = pid;
  }
}
ProtocolError.prototype.name = 'ProtocolError';

/** The pool is in a crash loop, no worker is serving, and none can start (docs/pool.md). */
export class PoolDegradedError extends PoolError {
  constructor(startFailures: number, windowMs: number) {
    super(
      'ERR_POOL_DEGRADED',
      `The pool is degraded: ${startFailures} worker start failures within ${windowMs} ms, no worker is serving and none can start`,
    );
  }
}
PoolDegradedError.prototype.name = 'PoolDegradedError';

/** `run()` after `close()`, or a task still unfinished when the drain deadline passed. */
export class PoolClosedError extends PoolError {
  constructor(message = 'The pool is closed') {
    super('ERR_POOL_CLOSED', message);
  }
}
PoolClosedError.prototype.name = 'PoolClosedError';

/** `run()` before `start()`. */
export class PoolNotStartedError extends PoolError {
  constructor() {
    super('ERR_POOL_NOT_STARTED', 'Call pool.start() before pool.run()');
  }
}
PoolNotStartedError.prototype.name = 'PoolNotStartedError';

/** The task's AbortSignal fired. `cause` is the signal's reason. Shaped like Node's AbortError. */
export class AbortError extends PoolError {
  constructor(reason: unknown) {
    super('ABORT_ERR', 'The task was aborted', { cause: reason });
  }
}
AbortError.prototype.name = 'AbortError';
