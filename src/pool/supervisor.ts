// The engine behind Pool: the slots and their workers, the queue, scheduling, retries, restarts,
// and the phases from start() to close(). Pool is its public face; the health and crash-loop
// accounting is in health.ts, the shutdown ladder in shutdown.ts.
import type { EventEmitter } from 'node:events';
import { MessageType, decodeWorkerError, type Frame } from '../protocol';
import type { SpawnOptions } from '../core/options';
import { spawn } from '../core/spawn';
import { describeValue } from '../core/validate';
import type { ExitInfo } from '../core/subprocess';
import { restartDelay } from './backoff';
import { Deadlines } from './deadlines';
import {
  AbortError,
  PoolClosedError,
  PoolNotStartedError,
  QueueFullError,
  TaskFailedError,
  TaskTimeoutError,
  WorkerExitError,
  WorkerStartError,
  type ProtocolError,
  type WorkerExit,
} from './errors';
import type { PoolEventMap, WorkerState } from './events';
import { PoolHealth } from './health';
import { normalizeRunOptions, workerCommand, type PoolConfig, type RunOptions } from './options';
import { TaskQueue } from './queue';
import { Conditions, KILL_GRACE_MS, stopWorkers } from './shutdown';
import { WorkerSlot, type SlotOwner } from './slot';
import { Task, type TaskOwner } from './task';
import { WorkerHandle, type WorkerOwner } from './worker-handle';

type Phase = 'new' | 'starting' | 'running' | 'draining' | 'stopping' | 'closed';

export interface WorkerStats {
  id: number;
  pid: number | null;
  state: WorkerState | 'restarting' | 'stopped';
  tasksDone: number;
  restarts: number;
  /** Its worker has answered a task or a ping, or stayed up healthyAfterMs, since WORKER_READY. */
  healthy: boolean;
  lastExit: WorkerExit | null;
}

export interface PoolStats {
  size: number;
  idle: number;
  busy: number;
  queued: number;
  completed: number;
  failed: number;
  /** Every exit the pool did not ask for, start failures included. */
  crashed: number;
  /** Of those, and of spawn errors: workers that never became healthy. */
  startFailures: number;
  respawned: number;
  degraded: boolean;
  workers: WorkerStats[];
}

export class Supervisor implements WorkerOwner, TaskOwner, SlotOwner {
  readonly deadlines = new Deadlines();
  private readonly queue = new TaskQueue<Task>();
  private readonly slots: WorkerSlot[] = [];
  /** Every worker whose pipes are not closed yet, replaced or not. */
  private readonly live = new Set<WorkerHandle>();
  /** Tasks waiting out retryBackoffMs: in neither the queue nor a worker. */
  private readonly retrying = new Set<Task>();
  private readonly health: PoolHealth;
  /** What close() and a failed start wait for, checked after every settle, exit and close. */
  private readonly conditions = new Conditions();
  private phase: Phase = 'new';
  private cursor = 0;
  private pending = 0;
  private completed = 0;
  private failed = 0;
  private starting: { remaining: number; resolve: () => void; reject: (error: unknown) => void } | null = null;
  private startPromise: Promise<void> | null = null;
  private closePromise: Promise<void> | null = null;

  constructor(
    readonly config: PoolConfig,
    private readonly events: EventEmitter<PoolEventMap>,
  ) {
    this.health = new PoolHealth(config.crashLoop, events, () => this.refuseQueueIfDegraded());
    for (let id = 0; id < config.size; id++) this.slots.push(new WorkerSlot(id, this));
  }

  get degraded(): boolean {
    return this.health.degraded;
  }

  start(): Promise<void> {
    this.startPromise ??= this.startWorkers();
    return this.startPromise;
  }

  run(payload: unknown, options: unknown): Promise<Buffer> {
    let bytes: Uint8Array;
    let runOptions: ReturnType<typeof normalizeRunOptions>;
    try {
      bytes = payloadBytes(payload);
      runOptions = normalizeRunOptions(options, this.config);
    } catch (error) {
      return Promise.reject(error);
    }
    const refusal = this.refusal(runOptions.signal);
    if (refusal !== null) return Promise.reject(refusal);
    const worker = this.queue.length === 0 ? this.nextAvailable() : null;
    if (worker === null && this.queue.length >= this.config.maxQueue) return Promise.reject(new QueueFullError(this.config.maxQueue));
    return new Promise<Buffer>((resolve, reject) => {
      const task = new Task(this, bytes, runOptions.timeoutMs, runOptions.retries, runOptions.signal, runOptions.onAssign, resolve, reject);
      this.pending++;
      if (worker !== null) this.assign(worker, task);
      else this.queue.push(task);
    });
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  /**
   * SIGKILLs every live worker now, through its handle (never a pid already reaped). During
   * close()'s drain it also ends the drain: no restart, and what is left rejects.
   */
  killWorkers(): void {
    if (this.phase === 'draining') {
      this.phase = 'stopping';
      for (const slot of this.slots) this.deadlines.cancel(slot);
      this.rejectAllTasks(new PoolClosedError('The pool was killed before the task finished'));
    }
    for (const worker of this.live) worker.kill('shutdown');
    this.conditions.check();
  }

  stats(): PoolStats {
    let idle = 0;
    let busy = 0;
    let respawned = 0;
    const workers = this.slots.map((slot): WorkerStats => {
      const worker = slot.worker;
      if (worker?.state === 'idle') idle++;
      if (worker?.state === 'busy') busy++;
      const state = worker?.state ?? (this.deadlines.isScheduled(slot) ? 'restarting' : 'stopped');
      const healthy = worker?.healthy ?? false;
      respawned += slot.restarts;
      return { id: slot.id, pid: worker?.pid ?? null, state, tasksDone: slot.tasksDone, restarts: slot.restarts, healthy, lastExit: slot.lastExit };
    });
    return {
      size: this.config.size,
      idle,
      busy,
      queued: this.queue.length,
      completed: this.completed,
      failed: this.failed,
      crashed: this.health.crashed,
      startFailures: this.health.startFailures,
      respawned,
      degraded: this.health.degraded,
      workers,
    };
  }

  // ---- starting and restarting workers ----

  private async startWorkers(): Promise<void> {
    if (this.phase !== 'new') throw new PoolClosedError();
    this.phase = 'starting';
    const ready = new Promise<void>((resolve, reject) => {
      this.starting = { remaining: this.slots.length, resolve, reject };
    });
    for (const slot of this.slots) {
      try {
        this.spawnWorker(slot);
      } catch (error) {
        // The command cannot be run (ENOENT, EACCES, ...): say so now, not after a timeout.
        this.failStart(error);
        break;
      }
    }
    return ready;
  }

  /** start() failed: every worker is killed and reaped before it rejects. */
  private failStart(error: unknown): void {
    const starting = this.starting;
    if (starting === null) return;
    this.starting = null;
    this.phase = 'stopping';
    this.rejectAllTasks(new PoolClosedError('The pool failed to start'));
    for (const worker of this.live) worker.kill('shutdown');
    void this.conditions.waitUntil(() => this.live.size === 0, KILL_GRACE_MS).then(() => {
      this.finishClosing();
      starting.reject(error);
    });
  }

  private spawnWorker(slot: WorkerSlot): WorkerHandle {
    const stderr = this.config.stderr;
    const stderrSlot = stderr === 'inherit' || stderr === 'ignore' ? stderr : 'pipe';
    const { command, args } = workerCommand(this.config, slot.id);
    // No prototype, as the options object the pool built: spawn() reads own properties only.
    const options: SpawnOptions = Object.assign(Object.create(null) as object, this.config.spawnOptions, {
      stdio: ['pipe', 'pipe', stderrSlot] as const,
    });
    const child = spawn(command, args, options);
    const worker = new WorkerHandle(slot.id, child, this);
    slot.worker = worker;
    this.live.add(worker);
    this.events.emit('spawn', { workerId: slot.id, pid: worker.pid });
    return worker;
  }

  onRestartDue(slot: WorkerSlot): void {
    if (!this.acceptsWork() || slot.worker !== null) return;
    let worker: WorkerHandle;
    try {
      worker = this.spawnWorker(slot);
    } catch (error) {
      this.emitError(error as Error);
      this.health.recordSpawnFailure(slot);
      this.scheduleRestart(slot);
      return;
    }
    slot.restarts++;
    this.events.emit('respawn', { workerId: slot.id, pid: worker.pid, restarts: slot.restarts });
  }

  private scheduleRestart(slot: WorkerSlot): void {
    if (!this.acceptsWork()) return;
    this.deadlines.schedule(slot, restartDelay(slot.failures, this.config.restartBackoff));
  }

  // ---- what workers report ----

  onWorkerReady(worker: WorkerHandle): void {
    this.events.emit('ready', { workerId: worker.id, pid: worker.pid });
    this.health.recordReady(this.slots[worker.id] as WorkerSlot);
    if (this.starting !== null && --this.starting.remaining === 0) {
      this.phase = 'running';
      this.starting.resolve();
      this.starting = null;
    }
    this.dispatch();
  }

  onWorkerHealthy(worker: WorkerHandle): void {
    this.health.recordHealthy(this.slots[worker.id] as WorkerSlot, worker);
  }

  onTaskAnswered(worker: WorkerHandle, task: Task, frame: Frame): void {
    const slot = this.slots[worker.id] as WorkerSlot;
    slot.tasksDone++;
    if (frame.type === MessageType.TASK_RESULT) {
      this.settle(task, resultBytes(frame.payload), null);
    } else {
      const { code, message } = decodeWorkerError(frame.payload);
      this.settle(task, null, new TaskFailedError(code, message, worker.id, worker.pid));
    }
    this.dispatch();
  }

  onWorkerTimeout(worker: WorkerHandle, kind: 'ready' | 'heartbeat' | 'ack'): void {
    this.events.emit('timeout', { workerId: worker.id, pid: worker.pid, kind });
  }

  onProtocolViolation(_worker: WorkerHandle, error: ProtocolError, tasks: Task[]): void {
    for (const task of tasks) this.settle(task, null, error);
  }

  onWorkerExit(worker: WorkerHandle, info: ExitInfo): void {
    const slot = this.slots[worker.id] as WorkerSlot;
    if (slot.worker === worker) slot.worker = null;
    const exit: WorkerExit = { workerId: worker.id, pid: worker.pid, exitCode: info.exitCode, signal: info.signal };
    slot.lastExit = exit;
    const { startFailure } = this.health.recordExit(slot, worker, exit, info);
    const lost = worker.takeInFlight();
    if (this.starting !== null && !worker.wasReady) {
      const reason = worker.killReason === 'ready-timeout' ? 'timeout' : worker.killReason === 'protocol' ? 'protocol' : 'exit';
      this.failStart(new WorkerStartError(exit, reason, this.config.readyTimeoutMs));
    }
    // Killed for another task's sake (a timeout, an abort): its other tasks did nothing wrong.
    const innocent = worker.killReason === 'timeout' || worker.killReason === 'abort';
    for (const task of lost) {
      if (innocent) this.requeue(task);
      else this.retryOrReject(task, exit);
    }
    // A healthy worker is replaced at once, whatever killed it; a failed start waits its backoff.
    if (startFailure) this.scheduleRestart(slot);
    else this.scheduleRestartNow(slot);
    this.refuseQueueIfDegraded();
    this.dispatch();
    this.conditions.check();
  }

  onWorkerClosed(worker: WorkerHandle): void {
    this.live.delete(worker);
    this.conditions.check();
  }

  onStderrLine(worker: WorkerHandle, line: string): void {
    const stderr = this.config.stderr;
    if (typeof stderr === 'function') stderr(line, worker.id);
    else this.events.emit('stderr', line, worker.id);
  }

  // ---- tasks ----

  onTaskDeadline(task: Task): void {
    if (task.state === 'retrying') {
      this.retrying.delete(task);
      this.requeue(task);
      this.dispatch();
      return;
    }
    const worker = task.worker;
    if (task.state !== 'running' || worker === null) return;
    worker.forget(task);
    this.settle(task, null, new TaskTimeoutError(task.timeoutMs, worker.id, worker.pid));
    this.events.emit('timeout', { workerId: worker.id, pid: worker.pid, kind: 'task' });
    worker.kill('timeout');
  }

  onTaskAbort(task: Task): void {
    const worker = task.worker;
    if (task.state === 'running' && worker !== null) {
      worker.forget(task);
      this.settle(task, null, new AbortError(task.signal?.reason));
      worker.kill('abort');
      return;
    }
    this.settle(task, null, new AbortError(task.signal?.reason));
  }

  private assign(worker: WorkerHandle, task: Task): void {
    worker.assign(task);
    if (task.timeoutMs !== Infinity) this.deadlines.schedule(task, task.timeoutMs);
    if (task.onAssign === undefined) return;
    // The caller's code, run inside dispatch: a throw must not leave the queue half served.
    try {
      task.onAssign({ workerId: worker.id, pid: worker.pid });
    } catch (error) {
      this.emitError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Round robin over the workers that can take a task, from the one after the last chosen. */
  private nextAvailable(): WorkerHandle | null {
    const count = this.slots.length;
    for (let step = 0; step < count; step++) {
      const index = (this.cursor + step) % count;
      const worker = (this.slots[index] as WorkerSlot).worker;
      if (worker !== null && worker.hasCapacity()) {
        this.cursor = (index + 1) % count;
        return worker;
      }
    }
    return null;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.nextAvailable();
      if (worker === null) return;
      this.assign(worker, this.queue.shift() as Task);
    }
  }

  private retryOrReject(task: Task, exit: WorkerExit): void {
    if (task.state === 'settled') return;
    this.deadlines.cancel(task);
    if (task.retriesLeft <= 0 || !this.acceptsWork()) {
      this.settle(task, null, new WorkerExitError(exit, task.attempts));
      return;
    }
    task.retriesLeft--;
    task.worker = null;
    if (this.config.retryBackoffMs === 0) {
      this.requeue(task);
      return;
    }
    task.state = 'retrying';
    this.retrying.add(task);
    this.deadlines.schedule(task, this.config.retryBackoffMs);
  }

  /** Back to the head of the queue: it was accepted before anything queued now. */
  private requeue(task: Task): void {
    this.deadlines.cancel(task);
    task.worker = null;
    task.state = 'queued';
    this.queue.unshift(task);
    this.refuseQueueIfDegraded();
  }

  private settle(task: Task, result: Buffer | null, error: Error | null): void {
    if (task.state === 'settled') return;
    this.deadlines.cancel(task);
    this.queue.remove(task);
    this.retrying.delete(task);
    if (error === null) {
      this.completed++;
      task.resolve(result as Buffer);
    } else {
      this.failed++;
      task.reject(error);
    }
    if (--this.pending === 0) this.events.emit('drain');
    this.conditions.check();
  }

  /** Why run() must refuse a task at once, if it must. */
  private refusal(signal: AbortSignal | undefined): Error | null {
    if (this.phase === 'new') return new PoolNotStartedError();
    if (!this.acceptsWork() || this.closePromise !== null) return new PoolClosedError();
    if (signal?.aborted === true) return new AbortError(signal.reason);
    if (this.health.refusesTasks(this.slots)) return this.health.degradedError();
    return null;
  }

  private refuseQueueIfDegraded(): void {
    if (!this.health.refusesTasks(this.slots)) return;
    for (let task = this.queue.shift(); task !== null; task = this.queue.shift()) this.settle(task, null, this.health.degradedError());
  }

  private acceptsWork(): boolean {
    return this.phase === 'starting' || this.phase === 'running' || this.phase === 'draining';
  }

  private scheduleRestartNow(slot: WorkerSlot): void {
    if (this.acceptsWork()) this.deadlines.schedule(slot, 0);
  }

  private rejectAllTasks(error: Error): void {
    for (let task = this.queue.shift(); task !== null; task = this.queue.shift()) this.settle(task, null, error);
    for (const task of [...this.retrying]) this.settle(task, null, error);
    for (const worker of this.live) {
      for (const task of worker.takeInFlight()) this.settle(task, null, error);
    }
  }

  // ---- close(): drain, then the shutdown ladder ----

  private async shutdown(): Promise<void> {
    // Workers not ready yet have nothing to drain: start() rejects and they are killed.
    if (this.starting !== null) this.failStart(new PoolClosedError('The pool was closed before it started'));
    if (this.phase === 'new' || this.phase === 'closed') {
      this.phase = 'closed';
      return;
    }
    if (this.phase === 'stopping') {
      // A failed start is tearing down already.
      await this.conditions.waitUntil(() => this.phase === 'closed', KILL_GRACE_MS);
      return;
    }
    const { drainTimeoutMs } = this.config.shutdown;
    this.phase = 'draining';
    await this.conditions.waitUntil(() => this.pending === 0, drainTimeoutMs);
    this.phase = 'stopping';
    for (const slot of this.slots) this.deadlines.cancel(slot);
    this.rejectAllTasks(new PoolClosedError(`The pool closed before the task finished (drainTimeoutMs ${drainTimeoutMs})`));
    await stopWorkers(this.live, this.config.shutdown, this.conditions);
    this.finishClosing();
  }

  private finishClosing(): void {
    this.phase = 'closed';
    this.deadlines.clear();
    this.conditions.check();
  }

  private emitError(error: Error): void {
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
  }
}

function payloadBytes(payload: unknown): Uint8Array {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return payload;
  throw new TypeError(`Expected the payload to be a Buffer, a Uint8Array or a string, got ${describeValue(payload)}`);
}

/**
 * A result that is a small view of a large read chunk is copied, so that it does not keep the
 * whole chunk alive; a result that fills most of its buffer is handed out as it is.
 */
function resultBytes(payload: Buffer): Buffer {
  if (payload.length * 2 >= payload.buffer.byteLength) return payload;
  return Buffer.from(payload);
}

export type { RunOptions };
