// Learns when this thread's children exit. The addon's exit watcher (native/exits/exit_watcher.h)
// keeps each child's pidfd in one epoll set that the event loop watches: when it becomes
// readable, the children that exited are reaped with waitid(P_PIDFD) and handed to onExits()
// below, at a cost per exit that does not depend on how many children are alive, and whoever
// holds SIGCHLD (child_process's libuv replaces and resets it at will). Never waitpid(-1):
// child_process's children (and everyone else's) are not ours to reap.
//
// An exit is told to its child after the rest of the I/O the same poll of the event loop found,
// as libuv does for child_process (it runs its signal watcher, and so its exits, last): a child
// closes its pipes before it exits, so output and EOF that arrived together with the exit come
// first, as in Node ('data', 'end', then 'exit').
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
  // Reaped, and to be told once this turn's other I/O has been handled (see the top).
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

  /** Reaped already, its exit not told yet: a signal now would reach a zombie under Node. */
  hasExited(key: number): boolean {
    return this.exited.has(key);
  }

  /** Whether a child with this pid is tracked: for tests and debugging (a scan, not a lookup). */
  tracksPid(pid: number): boolean {
    for (const child of this.children.values()) if (child.pid === pid) return true;
    return false;
  }

  // From the event loop (its poll phase), with the children the watcher has just reaped. They are
  // told in the check phase right after it, once every other callback of this poll has run.
  private onExits(exits: NativeExit[]): void {
    const first = this.exited.size === 0;
    for (const exit of exits) this.exited.set(exit.key, exit);
    if (first) setImmediate(() => this.tellExits());
  }

  private tellExits(): void {
    const exits = [...this.exited.values()];
    this.exited.clear();
    let listenerError: unknown = null;
    for (const exit of exits) {
      const child = this.children.get(exit.key);
      this.children.delete(exit.key);
      this.unreferenced.delete(exit.key);
      // One listener throwing must not leave the other exits unreported.
      try {
        child?.onReaped(exit);
      } catch (error) {
        listenerError ??= error;
      }
    }
    this.updateLoopHold();
    // Thrown on a later tick, as an 'exit' listener's error would be, once every exit is told.
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
