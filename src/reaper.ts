// Learns when our children exit. The addon's SIGCHLD handler writes a byte to this thread's
// self-pipe; the event loop sees the pipe readable and we wait4(pid, WNOHANG) each pid we spawned.
// Never waitpid(-1): child_process's children (and everyone else's) are not ours to reap.
//
// libuv replaces SIGCHLD's handler without chaining when child_process spawns, and resets it to
// SIG_DFL when its last child is gone, so ours can vanish at any time. While we have children
// alive, a low-frequency check puts the handler back and sweeps our pids when it had to, so an
// exit is seen within SAFETY_CHECK_MS even in the worst interleaving.
import net from 'node:net';
import { native, type NativeReapResult } from './native';
import { SpawnError } from './errors';

/** What the reaper tells when a tracked pid has been reaped (a Subprocess, in practice). */
export interface ReapedChild {
  onReaped(result: NativeReapResult): void;
}

const SAFETY_CHECK_MS = 50;
const NO_PIDS = new Int32Array(0);

class Reaper {
  private readonly children = new Map<number, ReapedChild>();
  // Tracked children that hold the event loop open (all but those unref()'d).
  private readonly unreferenced = new Set<number>();
  private watcher: net.Socket | null = null;
  private safetyTimer: NodeJS.Timeout | null = null;
  private sweepScheduled = false;

  /**
   * Before this thread's first spawn: opens its self-pipe and installs the handler, so that even
   * a child that exits at once is heard.
   */
  prepare(): void {
    if (this.watcher !== null) return;
    const fd = native.openSigchldPipe();
    if (fd < 0) throw new SpawnError({ errno: -fd, syscall: 'pipe2' });
    const watcher = new net.Socket({ fd, readable: true, writable: false });
    watcher.on('data', () => this.sweep());
    watcher.unref();
    this.watcher = watcher;
    native.ensureSigchldHandler();
  }

  track(pid: number, child: ReapedChild): void {
    this.children.set(pid, child);
    if (this.children.size === 1) this.startWatching();
    this.updateLoopHold();
  }

  /** Whether this child keeps the event loop alive, as ChildProcess.ref()/unref(). */
  setReferenced(pid: number, referenced: boolean): void {
    if (!this.children.has(pid)) return;
    if (referenced) this.unreferenced.delete(pid);
    else this.unreferenced.add(pid);
    this.updateLoopHold();
  }

  isTracked(pid: number): boolean {
    return this.children.has(pid);
  }

  /** After a spawn that found the handler gone: exits may have been missed. Runs on a later tick. */
  scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    setImmediate(() => {
      this.sweepScheduled = false;
      this.sweep();
    });
  }

  /** Reaps every tracked pid that has exited and tells its listener. */
  sweep(): void {
    // With no child of ours, the addon still reaps those left by threads that have ended.
    const results = native.reap(this.children.size === 0 ? NO_PIDS : Int32Array.from(this.children.keys()));
    if (results.length === 0) return;
    let listenerError: unknown = null;
    for (const result of results) {
      const child = this.children.get(result.pid);
      this.children.delete(result.pid);
      this.unreferenced.delete(result.pid);
      // One listener throwing must not leave the other exits unreported.
      try {
        child?.onReaped(result);
      } catch (error) {
        listenerError ??= error;
      }
    }
    if (this.children.size === 0) this.stopWatching();
    else this.updateLoopHold();
    // Thrown on a later tick, as an 'exit' listener's error would be, but never out of this
    // function: the watcher's 'data' handler must survive, or no exit would be heard again.
    if (listenerError !== null) {
      const error = listenerError;
      process.nextTick(() => {
        throw error;
      });
    }
  }

  // The pipe holds the event loop open only while a referenced child of ours is running, like a
  // libuv process handle does.
  private updateLoopHold(): void {
    if (this.children.size > this.unreferenced.size) this.watcher?.ref();
    else this.watcher?.unref();
  }

  private startWatching(): void {
    this.safetyTimer = setInterval(() => {
      if (native.ensureSigchldHandler()) this.sweep();
    }, SAFETY_CHECK_MS);
    this.safetyTimer.unref();
  }

  private stopWatching(): void {
    this.watcher?.unref();
    if (this.safetyTimer !== null) clearInterval(this.safetyTimer);
    this.safetyTimer = null;
  }
}

/** One per JavaScript thread: each thread's module instance has its own. */
export const reaper = new Reaper();
