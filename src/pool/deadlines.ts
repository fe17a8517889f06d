// One timer for the whole pool. Every deadline (a task's timeout or retry delay, a worker's ready
// timeout, heartbeat, shutdown ack, and a slot's restart backoff) is an entry in a binary min-heap
// keyed by time, and a single setTimeout is armed for the earliest. Scheduling and cancelling are
// O(log n) and allocate nothing: the entry keeps its own heap position.
import { performance } from 'node:perf_hooks';

export interface TimerEntry {
  /** When it is due, on the performance.now() clock. */
  deadline: number;
  /** Its place in the heap; -1 when not scheduled. */
  heapIndex: number;
  onDeadline(): void;
}

export class Deadlines {
  private readonly heap: TimerEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;

  constructor() {
    this.fire = this.fire.bind(this);
  }

  /** (Re)schedules `entry` to fire `delayMs` from now. */
  schedule(entry: TimerEntry, delayMs: number): void {
    this.cancel(entry);
    entry.deadline = performance.now() + delayMs;
    entry.heapIndex = this.heap.length;
    this.heap.push(entry);
    this.siftUp(entry.heapIndex);
    this.arm();
  }

  cancel(entry: TimerEntry): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    entry.heapIndex = -1;
    const last = this.heap.pop() as TimerEntry;
    if (index < this.heap.length) {
      this.heap[index] = last;
      last.heapIndex = index;
      this.siftDown(index);
      this.siftUp(last.heapIndex);
    }
    // Nothing left to wait for: the timer must not hold the event loop open.
    if (this.heap.length === 0) this.disarm();
  }

  isScheduled(entry: TimerEntry): boolean {
    return entry.heapIndex >= 0;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Drops every entry and the timer. */
  clear(): void {
    for (const entry of this.heap) entry.heapIndex = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = performance.now();
    try {
      for (let first = this.heap[0]; first !== undefined && first.deadline <= now; first = this.heap[0]) {
        this.cancel(first);
        first.onDeadline();
      }
    } finally {
      this.arm();
    }
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined || first.deadline >= this.armedFor) return;
    this.disarm();
    this.armedFor = first.deadline;
    // setTimeout counts whole milliseconds: round up so the entry is due when it fires.
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(first.deadline - performance.now())));
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index] as TimerEntry;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as TimerEntry;
      if (parent.deadline <= entry.deadline) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const entry = heap[index] as TimerEntry;
    const length = heap.length;
    for (;;) {
      let smallest = index;
      let smallestDeadline = entry.deadline;
      const left = 2 * index + 1;
      const right = left + 1;
      const leftEntry = heap[left];
      const rightEntry = heap[right];
      if (left < length && leftEntry !== undefined && leftEntry.deadline < smallestDeadline) {
        smallest = left;
        smallestDeadline = leftEntry.deadline;
      }
      if (right < length && rightEntry !== undefined && rightEntry.deadline < smallestDeadline) smallest = right;
      if (smallest === index) break;
      const child = heap[smallest] as TimerEntry;
      heap[index] = child;
      child.heapIndex = index;
      index = smallest;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }
}

/** A timer entry of its own for an object that already is one (a worker's alarms beside its state's timer). */
export class Alarm implements TimerEntry {
  deadline = 0;
  heapIndex = -1;

  constructor(readonly onDeadline: () => void) {}
}
