// Pool workers get parentDeathSignal 'SIGKILL' by default: when the parent is SIGKILLed, a busy
// worker does not finish its task as an orphan, and a worker that ignores the end of stdin does
// not live on. test/fixtures/pool-parent.js is that parent.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/core/spawn';
import { eventually, expectNoLeaks, readProcStat } from '../helpers/leaks';
import { fixtures } from '../helpers/pool-workers';

/** Starts the parent, waits for its workers' pids, SIGKILLs it and reaps it. */
async function killParentOfPools(env: NodeJS.ProcessEnv): Promise<number[]> {
  const parent = spawn(process.execPath, [join(fixtures, 'pool-parent.js')], { cwd: join(__dirname, '..', '..'), env, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => parent.stdout?.once('data', (chunk) => resolve(String(chunk))));
  const pids = JSON.parse(line) as number[];
  for (const pid of pids) expect(readProcStat(pid)?.ppid).toBe(parent.pid);
  parent.kill('SIGKILL');
  await parent.exited;
  return pids;
}

/** Gone, or a zombie of whoever adopted it: either way it is dead. */
function isDead(pid: number): boolean {
  const state = readProcStat(pid)?.state;
  return state === undefined || state === 'Z';
}

describe('parentDeathSignal', () => {
  it("defaults to 'SIGKILL': busy and EOF-ignoring workers die with their parent", () =>
    expectNoLeaks(async () => {
      const pids = await killParentOfPools(process.env);
      expect(pids).toHaveLength(2);
      await eventually(() => expect(pids.filter((pid) => !isDead(pid))).toEqual([]));
    }));

  it('null opts out: the same workers outlive their parent', () =>
    expectNoLeaks(async () => {
      const pids = await killParentOfPools({ ...process.env, POOL_PARENT_DEATH: 'none' });
      try {
        // The busy worker finishes its 60 s task first; the stubborn one never exits.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(pids.filter((pid) => isDead(pid))).toEqual([]);
      } finally {
        for (const pid of pids) process.kill(pid, 'SIGKILL');
      }
      await eventually(() => expect(pids.filter((pid) => !isDead(pid))).toEqual([]));
    }));
});
