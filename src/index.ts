// The public surface of process-spawner.
export { spawn } from './spawn';
export { Subprocess, type ExitInfo, type Rusage, type SubprocessEventMap, type SubprocessStdio } from './subprocess';
export { AddonLoadError } from './native';
export type { SpawnMethod, SpawnOptions, StdioOption, StdioSlot } from './options';
export type { ProcessSettings, RlimitName, RlimitValue } from './process-settings';
export { runSync, type RunSyncOptions, type RunSyncResult } from './run-sync';
export { run, type RunEncoding, type RunInput, type RunOptions, type RunOutput, type RunResult } from './run';
export { lines, type LinesOptions } from './lines';
export { sendFds, MAX_PASSED_FDS } from './fd-passing';
export { ProcessSpawnerError, SpawnError, RunError, type ChildStep, type RunErrorCode } from './errors';
export type { SignalInput } from './signals';
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
