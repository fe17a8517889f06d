// A place in the pool: the worker process currently filling it, and what outlives that process
// (restart count, consecutive failures, the last exit). Its timer entry is the restart backoff.
import type { TimerEntry } from './deadlines';
import type { WorkerExit } from './errors';
import type { WorkerHandle } from './worker-handle';

export interface SlotOwner {
  onRestartDue(slot: WorkerSlot): void;
}

export class WorkerSlot implements TimerEntry {
  worker: WorkerHandle | null = null;
  restarts = 0;
  /** Unexpected exits since its last worker proved healthy (answered a task or a ping). */
  failures = 0;
  tasksDone = 0;
  lastExit: WorkerExit | null = null;

  deadline = 0;
  heapIndex = -1;

  constructor(
    readonly id: number,
    private readonly owner: SlotOwner,
  ) {}

  onDeadline(): void {
    this.owner.onRestartDue(this);
  }
}
