// The end of a pool's workers: close()'s ladder (SHUTDOWN_REQUEST, SIGTERM, SIGKILL, each step
// for the workers the one before left, each with its deadline) and the waits it is made of.
// Draining the tasks first is the supervisor's.
import type { ShutdownTimeouts } from './options';
import type { WorkerHandle } from './worker-handle';

/** After the ladder's SIGKILL: how long the kernel and the reaper get to report the deaths. */
export const KILL_GRACE_MS = 1_000;

interface Waiter {
  done: () => boolean;
  finish: () => void;
}

/** Waits for conditions on the pool's state, checked again whenever the owner says it changed. */
export class Conditions {
  private readonly waiters = new Set<Waiter>();

  /** Resolves when `done()` holds (checked at each check()) or after `timeoutMs`. */
  waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { done, finish };
      this.waiters.add(waiter);
    });
  }

  /** The state changed (a settle, an exit, a close): wakes the waits that now hold. */
  check(): void {
    for (const waiter of this.waiters) if (waiter.done()) waiter.finish();
  }
}

/**
 * The ladder after the drain: SHUTDOWN_REQUEST and `ackTimeoutMs`, then SIGTERM and
 * `termTimeoutMs`, then SIGKILL. `live` holds every worker whose pipes are not closed yet; it
 * resolves once it is empty, or KILL_GRACE_MS after the SIGKILL.
 */
export async function stopWorkers(live: ReadonlySet<WorkerHandle>, timeouts: ShutdownTimeouts, conditions: Conditions): Promise<void> {
  for (const worker of live) worker.requestShutdown();
  await conditions.waitUntil(() => allExited(live), timeouts.ackTimeoutMs);
  for (const worker of live) if (worker.exit === null) worker.terminate();
  await conditions.waitUntil(() => allExited(live), timeouts.termTimeoutMs);
  for (const worker of live) if (worker.exit === null) worker.kill('shutdown');
  await conditions.waitUntil(() => live.size === 0, KILL_GRACE_MS);
}

function allExited(live: ReadonlySet<WorkerHandle>): boolean {
  for (const worker of live) if (worker.exit === null) return false;
  return true;
}
