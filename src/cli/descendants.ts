// "No child outlives the command." The command makes itself a child subreaper (main.ts), so that
// what its runs leave behind (a `setsid` daemon, a double fork) is re-parented to it instead of
// init. At the end it signals and reaps every child that is left: SIGTERM, then SIGKILL after a
// grace period. It spawns only through our library, which has reaped its own by then, so every
// child still there was adopted: signalling them by pid is safe (an unreaped child's pid is not
// reused).
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { procStatFields } from '../core/proc-stat';
import { reapAdoptedChildren } from '../core/process-control';

const POLL_MS = 10;

/** Our children, zombies included, from /proc (their ppid is our pid). */
export function childrenOfUs(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStatFields(Number(entry)); // null: gone since readdir
    if (fields !== null && Number(fields[1]) === process.pid) children.push(Number(entry));
  }
  return children;
}

/**
 * SIGTERM to every child left, SIGKILL to those still there after `graceMs` (or at once, from
 * the moment `hurry` says so: a signal came during the cleanup); reaps them all, and what they
 * leave in turn. Resolves with how many were signalled.
 */
export async function endAdoptedChildren(graceMs: number, hurry: () => boolean = () => false): Promise<number> {
  const signalled = new Set<number>();
  const killAt = Date.now() + graceMs;
  // One scan of /proc per round: the children left after a round are the next round's.
  for (let children = childrenOfUs(); children.length > 0; ) {
    const escalate = hurry() || Date.now() >= killAt;
    for (const pid of children) {
      if (signalled.has(pid) && !escalate) continue;
      signalled.add(pid);
      signal(pid, escalate ? 'SIGKILL' : 'SIGTERM');
    }
    reapAdoptedChildren(children);
    children = childrenOfUs();
    if (children.length > 0) await sleep(POLL_MS);
  }
  return signalled.size;
}

/**
 * The last resort when the command itself fails (an internal error): SIGKILL to every child and
 * to the process group each one leads (our runs lead their own), synchronously, so that nothing
 * we started outlives us even though we cannot wait to reap them (init does, once we are gone).
 */
export function killChildrenNow(): void {
  for (const pid of childrenOfUs()) {
    signal(-pid, 'SIGKILL');
    signal(pid, 'SIGKILL');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // ESRCH: it exited between the scan and now; it is reaped next round.
  }
}
