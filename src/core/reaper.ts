// Learns when this thread's children exit. The addon's exit watcher (native/exits/exit_watcher.h)
// keeps each child's pidfd in one epoll set that the event loop watches: when it becomes
// readable, the children that exited are reaped with waitid(P_PIDFD) and handed to onExits()
// below, at a cost per exit that does not depend on how many children are alive, and whoever
// holds SIGCHLD (child_process's libuv replaces and resets it at will). Where the kernel gives no
// pidfds, the addon falls back to SIGCHLD and wait4 on each such child's pid (exit_watcher.h).
// Never waitpid(-1): child_process's children (and everyone else's) are not ours to reap.
//
// An exit is told to its child at once, except for the children that asked to hear it as
// child_process does (the drop-in's): those are told after the rest of the I/O the same poll of
// the event loop found, as libuv runs its signal watcher, and so its exits, last. A child closes
// its pipes before it exits, so the output and EOF that arrived together with the exit come first
// there, as in Node ('data', 'end', then 'exit'), at the cost of waiting for the poll's other
// callbacks.
import { native, type NativeExit, type NativeReapResult } from './native';
import { SpawnError } from './errors';

/** What the reaper tells when a tracked child has been reaped (a Subprocess, in practice). */
export interface ReapedChild {
  readonly pid: number;
  onReaped(result: NativeReapResult): void;
}

class Reaper {
  // By the addon's key for each child (never reused, unlike a pid).
  private readonly children = new Map<number, ReapedChild>();
  // Tracked children that do not hold the event loop open (unref()'d).
  private readonly unreferenced = new Set<number>();
  // The children whose exit is told after the poll's other I/O (see the top).
  private readonly tellingAfterOtherIo = new Set<number>();
  // Of those, the ones reaped and to be told once this poll's other callbacks have run.
  private readonly exited = new Map<number, NativeExit>();
  private watching = false;
  private holdingLoop = false;

  /** Before this thread's first spawn: starts the exit watcher, so that every exit is heard. */
  prepare(): void {
    if (this.watching) return;
    const errno = native.watchExits((exits) => this.onExits(exits));
    if (errno !== 0) throw new SpawnError({ errno, syscall: 'epoll_create1' });
    this.watching = true;
  }

  track(key: number, child: ReapedChild): void {
    this.children.set(key, child);
    this.updateLoopHold();
  }

  /** Whether this child keeps the event loop alive, as ChildProcess.ref()/unref(). */
  setReferenced(key: number, referenced: boolean): void {
    if (!this.children.has(key)) return;
    if (referenced) this.unreferenced.delete(key);
    else this.unreferenced.add(key);
    this.updateLoopHold();
  }

  isTracked(key: number): boolean {
    return this.children.has(key);
  }

  /** This child's exit is told after the other I/O of the poll that found it, as child_process's. */
  tellAfterOtherIo(key: number): void {
    if (this.children.has(key)) this.tellingAfterOtherIo.add(key);
  }

  /** Reaped already, its exit not told yet: a signal now would reach a zombie under Node. */
  hasExited(key: number): boolean {
    return this.exited.has(key);
  }

  /** Whether a child with this pid is tracked: for tests and debugging (a scan, not a lookup). */
  tracksPid(pid: number): boolean {
    for (const child of this.children.values()) if (child.pid === pid) return true;
    return false;
  }

  // From the event loop (its poll phase), with the children the watcher has just reaped. Those
  // told after the other I/O are told in the check phase right after it, once every other
  // callback of this poll has run.
  private onExits(exits: NativeExit[]): void {
    const now: NativeExit[] = [];
    const wereWaiting = this.exited.size > 0;
    for (const exit of exits) {
      if (this.tellingAfterOtherIo.has(exit.key)) this.exited.set(exit.key, exit);
      else now.push(exit);
    }
    if (!wereWaiting && this.exited.size > 0) setImmediate(() => this.tellExited());
    if (now.length > 0) this.tell(now);
  }

  private tellExited(): void {
    const exits = [...this.exited.values()];
    this.exited.clear();
    this.tell(exits);
  }

  private tell(exits: NativeExit[]): void {
    let listenerError: unknown = null;
    for (const exit of exits) {
      const child = this.children.get(exit.key);
      this.children.delete(exit.key);
      this.unreferenced.delete(exit.key);
      this.tellingAfterOtherIo.delete(exit.key);
      // One listener throwing must not leave the other exits unreported.
      try {
        child?.onReaped(exit);
      } catch (error) {
        listenerError ??= error;
      }
    }
    this.updateLoopHold();
    // Thrown on a later tick, as an 'exit' listener's error would be, once every exit is told,
    // and never out of this function (the addon calls onExits() and expects it to return).
    if (listenerError !== null) {
      const error = listenerError;
      process.nextTick(() => {
        throw error;
      });
    }
  }

  // The watcher holds the event loop open only while a referenced child of ours is running, like
  // a libuv process handle does.
  private updateLoopHold(): void {
    const hold = this.children.size > this.unreferenced.size;
    if (hold === this.holdingLoop) return;
    this.holdingLoop = hold;
    native.holdLoop(hold);
  }
}

/** One per JavaScript thread: each thread's module instance has its own. */
export const reaper = new Reaper();
