// What the pool's events carry, and the words they use for a worker's state and for why the
// pool killed it.
import type { ExitInfo } from '../core/subprocess';
import type { WorkerExit } from './errors';

/** Where a worker is in its life (worker-handle.ts moves it along). */
export type WorkerState = 'starting' | 'idle' | 'busy' | 'retiring' | 'stopping' | 'killed' | 'exited';

/** Why the pool killed a worker. */
export type KillReason = 'ready-timeout' | 'heartbeat' | 'protocol' | 'timeout' | 'abort' | 'ack-timeout' | 'shutdown';

export interface WorkerInfo {
  workerId: number;
  pid: number;
}

export interface WorkerExitEvent extends WorkerExit {
  /** false for a crash: an exit the pool did not ask for. */
  expected: boolean;
  /** The full ExitInfo: raw status, rusage, duration. */
  info: ExitInfo;
}

export interface WorkerCrashEvent extends WorkerExit {
  /** 'exit' when it died on its own; otherwise why the pool killed it. */
  reason: KillReason | 'exit';
  /** The state it was in: 'starting' for a failed start. */
  state: WorkerState;
  /**
   * It had not become healthy: a start failure, which enters the crash-loop window and backs
   * its slot off. false: a healthy worker's death, replaced at once.
   */
  startFailure: boolean;
}

export interface WorkerRespawnEvent extends WorkerInfo {
  /** How many times this slot's worker has been replaced. */
  restarts: number;
}

export interface TimeoutEvent extends WorkerInfo {
  /** What took too long: a task, WORKER_READY, a heartbeat's answer, or a SHUTDOWN_ACK. */
  kind: 'task' | 'ready' | 'heartbeat' | 'ack';
}

export interface DegradedEvent {
  /** Start failures (and counted fatal-signal deaths) within the last `windowMs`: crashLoop.maxCrashes when it trips. */
  crashes: number;
  windowMs: number;
}

export interface PoolEventMap {
  spawn: [WorkerInfo];
  ready: [WorkerInfo];
  /** A worker answered its first task or ping, or stayed up healthyAfterMs, after WORKER_READY. */
  healthy: [WorkerInfo];
  exit: [WorkerExitEvent];
  crash: [WorkerCrashEvent];
  respawn: [WorkerRespawnEvent];
  timeout: [TimeoutEvent];
  degraded: [DegradedEvent];
  recovered: [];
  drain: [];
  error: [Error];
  /** With `stderr: 'pipe'`: one line of a worker's stderr, without its newline. */
  stderr: [line: string, workerId: number];
}
