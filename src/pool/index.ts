export { Pool } from './pool';
export { POOL_DEFAULTS, type PerWorker, type PoolOptions, type PoolStderr, type RunOptions } from './options';
export type { PoolStats, WorkerStats } from './supervisor';
export type {
  DegradedEvent,
  KillReason,
  PoolEventMap,
  TimeoutEvent,
  WorkerCrashEvent,
  WorkerExitEvent,
  WorkerInfo,
  WorkerRespawnEvent,
  WorkerState,
} from './events';
export {
  AbortError,
  PoolClosedError,
  PoolDegradedError,
  PoolError,
  PoolNotStartedError,
  ProtocolError,
  QueueFullError,
  TaskFailedError,
  TaskTimeoutError,
  WorkerExitError,
  WorkerStartError,
  type PoolErrorCode,
  type WorkerExit,
} from './errors';
