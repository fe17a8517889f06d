// Worker commands for the pool tests, in Node, C and Python, and a few pool-level checks.
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Pool } from '../../src/pool';
import { childProcesses, eventually } from './leaks';

export const fixtures = join(__dirname, '..', 'fixtures');
export const pythonEchoWorker = join(__dirname, '..', '..', 'workers', 'python', 'echo_worker.py');

export function nodeWorker(name: string, ...args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [join(fixtures, name), ...args] };
}

export const nodeEcho = nodeWorker('echo-worker.mjs');
export const pythonEcho = { command: 'python3', args: ['-I', '-B', pythonEchoWorker] };

/** The pool's workers' pids, all alive children of ours. */
export function livePids(pool: Pool): number[] {
  const pids = pool
    .stats()
    .workers.map((worker) => worker.pid)
    .filter((pid): pid is number => pid !== null);
  const children = new Map(childProcesses().map((child) => [child.pid, child]));
  for (const pid of pids) expect(children.get(pid)?.state, `worker ${pid}`).not.toBe('Z');
  return pids.filter((pid) => children.has(pid));
}

/** Waits until every slot has a serving worker again. */
export async function expectFullSize(pool: Pool, timeoutMs = 3000): Promise<void> {
  await eventually(() => {
    const stats = pool.stats();
    expect(stats.idle + stats.busy, 'serving workers').toBe(stats.size);
    expect(livePids(pool)).toHaveLength(stats.size);
  }, timeoutMs);
}

/** Settles every promise and says how each ended: the result, or the error's name. */
export async function outcomes(promises: Promise<Buffer>[]): Promise<string[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((outcome) => (outcome.status === 'fulfilled' ? `ok:${outcome.value.toString()}` : (outcome.reason as Error).name));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
