// One run(): its payload, its promise's settle functions, and where it is. A task is its own
// queue node, its own timer entry (timeout while it runs, retry delay between attempts) and its
// own abort listener (EventTarget calls handleEvent), so it needs no closures of its own.
import type { TimerEntry } from './deadlines';
import type { KillReason, WorkerInfo } from './events';
import type { QueueNode } from './queue';

export type TaskState = 'queued' | 'running' | 'retrying' | 'settled';

/**
 * What a task's owner does with the worker running it (a WorkerHandle, which imports this file):
 * name it in an error or event, take the task back, kill it.
 */
export interface TaskWorker {
  readonly id: number;
  readonly pid: number;
  forget(task: Task): void;
  kill(reason: KillReason): void;
}

export interface TaskOwner {
  onTaskDeadline(task: Task): void;
  onTaskAbort(task: Task): void;
}

export class Task implements QueueNode<Task>, TimerEntry {
  state: TaskState = 'queued';
  /** Times it has been sent to a worker. */
  attempts = 0;
  retriesLeft: number;
  /** While running: its worker and the sequence number it was sent with. */
  worker: TaskWorker | null = null;
  sequence = 0;

  previous: Task | null = null;
  next: Task | null = null;
  queued = false;
  deadline = 0;
  heapIndex = -1;

  constructor(
    private readonly owner: TaskOwner,
    readonly payload: Uint8Array,
    readonly timeoutMs: number,
    retries: number,
    readonly signal: AbortSignal | undefined,
    /** RunOptions.onAssign: told which worker runs it, each time it is sent. */
    readonly onAssign: ((worker: WorkerInfo) => void) | undefined,
    private readonly resolveResult: (result: Buffer) => void,
    private readonly rejectResult: (error: Error) => void,
  ) {
    this.retriesLeft = retries;
    signal?.addEventListener('abort', this, { once: true });
  }

  onDeadline(): void {
    this.owner.onTaskDeadline(this);
  }

  /** The AbortSignal's 'abort' event. */
  handleEvent(): void {
    if (this.state !== 'settled') this.owner.onTaskAbort(this);
  }

  resolve(result: Buffer): void {
    if (this.settle()) this.resolveResult(result);
  }

  reject(error: Error): void {
    if (this.settle()) this.rejectResult(error);
  }

  private settle(): boolean {
    if (this.state === 'settled') return false;
    this.state = 'settled';
    this.worker = null;
    this.signal?.removeEventListener('abort', this);
    return true;
  }
}
