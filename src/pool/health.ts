// The pool's health: which worker exits are crashes, which crashes are start failures, each
// slot's run of failures (its restart backoff), and when the pool is degraded (a crash loop)
// or recovers. Which tasks to retry and when to restart are the supervisor's.
import type { EventEmitter } from 'node:events';
import type { ExitInfo } from '../core/subprocess';
import { CrashWindow } from './backoff';
import { PoolDegradedError, type WorkerExit } from './errors';
import type { PoolEventMap } from './events';
import type { PoolConfig } from './options';
import type { WorkerSlot } from './slot';
import type { WorkerHandle } from './worker-handle';

/** Signals a program dies of by its own fault (PHP-FPM counts SIGSEGV and SIGBUS the same way). */
const FATAL_SIGNALS: ReadonlySet<string> = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT']);

export interface ExitVerdict {
  /** The pool asked for it: retirement, shutdown, or a kill for another task's sake. */
  expected: boolean;
  /** A crash before the worker proved healthy. */
  startFailure: boolean;
}

export class PoolHealth {
  /** Every exit the pool did not ask for, start failures included. */
  crashed = 0;
  /** Of those, and of spawn errors: workers that never became healthy. */
  startFailures = 0;
  private readonly crashWindow: CrashWindow;
  private degradedState = false;

  constructor(
    private readonly crashLoop: PoolConfig['crashLoop'],
    private readonly events: EventEmitter<PoolEventMap>,
    /** Called when the pool becomes degraded. */
    private readonly onDegraded: () => void,
  ) {
    this.crashWindow = new CrashWindow(crashLoop.maxCrashes, crashLoop.windowMs);
  }

  get degraded(): boolean {
    return this.degradedState;
  }

  /** Reports a worker's exit ('exit', and 'crash' when unasked) and counts it. */
  recordExit(slot: WorkerSlot, worker: WorkerHandle, exit: WorkerExit, info: ExitInfo): ExitVerdict {
    const expected = worker.exitWasExpected();
    const startFailure = !expected && !worker.healthy;
    this.events.emit('exit', { ...exit, expected, info });
    if (!expected) {
      this.crashed++;
      this.events.emit('crash', { ...exit, reason: worker.killReason ?? 'exit', state: worker.stateAtExit ?? 'exited', startFailure });
    }
    if (startFailure) this.recordStartFailure(slot, !worker.wasReady && failedByItself(worker, exit));
    else if (!expected && this.crashLoop.fatalSignals && isFatalSignal(exit.signal)) this.countTowardDegraded();
    return { expected, startFailure };
  }

  /** A replacement worker could not be spawned at all. */
  recordSpawnFailure(slot: WorkerSlot): void {
    this.crashed++;
    this.recordStartFailure(slot, true);
  }

  recordReady(slot: WorkerSlot): void {
    slot.cannotStart = false;
  }

  /** Not on READY: a pool recovers when a worker has proved it can serve. */
  recordHealthy(slot: WorkerSlot, worker: WorkerHandle): void {
    slot.failures = 0;
    this.events.emit('healthy', { workerId: worker.id, pid: worker.pid });
    if (!this.degradedState) return;
    this.degradedState = false;
    this.crashWindow.reset();
    this.events.emit('recovered');
  }

  /**
   * Degraded, no worker serving, and every slot's last worker failed to start by itself: tasks
   * would wait for nothing. While any slot may still start a worker, they wait for it.
   */
  refusesTasks(slots: readonly WorkerSlot[]): boolean {
    if (!this.degradedState) return false;
    return !slots.some((slot) => slot.worker?.isServing() === true) && slots.every((slot) => slot.cannotStart);
  }

  degradedError(): PoolDegradedError {
    return new PoolDegradedError(this.crashWindow.count(), this.crashLoop.windowMs);
  }

  /** A worker that never became healthy: it backs its slot off, and enters the crash-loop window. */
  private recordStartFailure(slot: WorkerSlot, cannotStart: boolean): void {
    this.startFailures++;
    slot.failures++;
    slot.cannotStart = cannotStart;
    this.countTowardDegraded();
  }

  private countTowardDegraded(): void {
    if (!this.crashWindow.record() || this.degradedState) return;
    this.degradedState = true;
    this.events.emit('degraded', { crashes: this.crashWindow.count(), windowMs: this.crashLoop.windowMs });
    this.onDegraded();
  }
}

/**
 * Whether a worker that died before WORKER_READY did so by itself: it exited, died of a fatal
 * signal, or the pool killed it for its silence or its output. Another signal came from outside.
 */
function failedByItself(worker: WorkerHandle, exit: WorkerExit): boolean {
  return worker.killReason !== null || exit.signal === null || isFatalSignal(exit.signal);
}

function isFatalSignal(signal: string | null): boolean {
  return signal !== null && FATAL_SIGNALS.has(signal);
}
