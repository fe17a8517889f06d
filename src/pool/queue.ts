// The FIFO of tasks waiting for a worker: an intrusive doubly linked list, so push, shift, a
// retried task's return to the front, and an aborted task's removal from the middle are all O(1)
// at any depth, and a queued task costs no allocation beyond itself.

/** What the queue links: the task itself carries the links. */
export interface QueueNode<T> {
  previous: T | null;
  next: T | null;
  queued: boolean;
}

export class TaskQueue<T extends QueueNode<T>> {
  private head: T | null = null;
  private tail: T | null = null;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(node: T): void {
    node.previous = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    node.queued = true;
    this.count++;
  }

  /** Puts a task ahead of every other: a retried task keeps its place in line. */
  unshift(node: T): void {
    node.next = this.head;
    node.previous = null;
    if (this.head === null) this.tail = node;
    else this.head.previous = node;
    this.head = node;
    node.queued = true;
    this.count++;
  }

  shift(): T | null {
    const node = this.head;
    if (node !== null) this.remove(node);
    return node;
  }

  /** Unlinks a queued node; a node that is not queued is left alone. */
  remove(node: T): void {
    if (!node.queued) return;
    if (node.previous === null) this.head = node.next;
    else node.previous.next = node.next;
    if (node.next === null) this.tail = node.previous;
    else node.next.previous = node.previous;
    node.previous = null;
    node.next = null;
    node.queued = false;
    this.count--;
  }
}
