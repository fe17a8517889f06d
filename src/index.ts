// The public surface of process-spawner.
export { spawn } from './core/spawn';
export { Subprocess, type ExitInfo, type Rusage, type SubprocessEventMap, type SubprocessStdio } from './core/subprocess';
export type { SpawnMethod, SpawnOptions, StdioOption, StdioSlot } from './core/options';
export type { ProcessSettings, RlimitName, RlimitValue } from './core/process-settings';
export { runSync, type RunSyncOptions, type RunSyncResult } from './run/run-sync';
export { run, type RunEncoding, type RunInput, type RunOptions, type RunOutput, type RunResult } from './run/run';
export { lines, type LinesOptions } from './run/lines';
export { sendFds, MAX_PASSED_FDS } from './core/fd-passing';
export { AddonLoadError, ProcessSpawnerError, SpawnError, type ChildStep } from './core/errors';
export { RunError, type RunErrorCode } from './run/errors';
export type { SignalInput } from './core/signals';
export * from './protocol';
export {
  Pool,
  POOL_DEFAULTS,
  PoolError,
  QueueFullError,
  WorkerExitError,
  WorkerStartError,
  TaskTimeoutError,
  TaskFailedError,
  ProtocolError,
  PoolDegradedError,
  PoolClosedError,
  PoolNotStartedError,
  AbortError,
  type PoolOptions,
  type PoolStderr,
  type RunOptions as PoolRunOptions,
  type PoolStats,
  type WorkerStats,
  type WorkerState,
  type KillReason,
  type PoolEventMap,
  type WorkerInfo,
  type WorkerExitEvent,
  type WorkerCrashEvent,
  type WorkerRespawnEvent,
  type TimeoutEvent,
  type DegradedEvent,
  type PoolErrorCode,
  type WorkerExit,
} from './pool';
