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
  /** Start failures since its last worker became healthy: they set the restart backoff. */
  failures = 0;
  /**
   * Its last worker failed to start by its own doing: could not be spawned, exited, died of a
   * fatal signal, or was killed for its silence or its output before WORKER_READY. A kill from
   * outside (SIGKILL, SIGTERM) before WORKER_READY says nothing about the command, and clears it.
   */
  cannotStart = false;
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
