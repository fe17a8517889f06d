// Leak checks for tests that spawn: the test process's open fds and its child processes, read
// from /proc, compared before and after.
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { expect } from 'vitest';
import { reaper } from '../../src/core/reaper';

/** fd number -> what it points to, from /proc/self/fd. */
export function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // The fd readdir itself used, closed by now.
    }
  }
  return fds;
}

export function countOpenFds(): number {
  return openFds().size;
}

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  command: string;
}

/** Parses /proc/<pid>/stat; the command may contain spaces and parentheses. */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return {
    pid,
    command: text.slice(text.indexOf('(') + 1, close),
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
  };
}

/** Every process on the machine that /proc shows. */
export function allProcesses(): ProcStat[] {
  const processes: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat !== null) processes.push(stat);
  }
  return processes;
}

/** Every process whose parent is this one (zombies included). */
export function childProcesses(): ProcStat[] {
  return allProcesses().filter((stat) => stat.ppid === process.pid);
}

export function zombieChildren(): ProcStat[] {
  return childProcesses().filter((child) => child.state === 'Z');
}

/** Polls until `check` passes or `timeoutMs` runs out; the last failure is thrown. */
export async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/**
 * Runs `body`, then asserts that it left no zombie, no child process and no extra open fd. The
 * reaper's self-pipe is opened first, since it lives as long as the thread by design.
 */
export async function expectNoLeaks<T>(body: () => Promise<T> | T): Promise<T> {
  reaper.prepare();
  const childrenBefore = new Set(childProcesses().map((child) => child.pid));
  const fdsBefore = openFds();
  const result = await body();
  await eventually(() => {
    const newChildren = childProcesses().filter((child) => !childrenBefore.has(child.pid));
    expect(newChildren, 'children left behind (zombies or running)').toEqual([]);
    expect(describeFds(openFds()), 'open fds').toEqual(describeFds(fdsBefore));
  });
  return result;
}

function describeFds(fds: Map<number, string>): string[] {
  return [...fds].map(([fd, target]) => `${fd} -> ${target}`).sort();
}

/**
 * Kills the grandchild that wrote its own pid to `pidFile` (`sh -c "echo \$\$ > file; exec ..." &`),
 * if one started: its shell may have been killed before it could say, and it may write a moment later.
 */
export async function killByPidFile(pidFile: string): Promise<void> {
  for (let waitedMs = 0; waitedMs < 1000; waitedMs += 20) {
    const pid = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) : Number.NaN;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      rmSync(pidFile);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
