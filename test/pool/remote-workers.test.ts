// `command` and `args` may be functions of the worker id: a pool can spread its workers over
// hosts with `ssh host worker`, since the protocol only needs stdin and stdout. A wrapper script
// that execs the worker stands in for the remote hop.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Pool } from '../../src/pool';
import { eventually, expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, fixtures, livePids } from '../helpers/pool-workers';

let directory = '';
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'pool-remote-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const hosts = ['alpha.example', 'beta.example'];

/** "host pid" for every hop the wrapper made. */
function hops(log: string): string[] {
  return readFileSync(log, 'utf8').trim().split('\n');
}

it('args as a function of the worker id: each worker is started through its own host, again on a restart', () =>
  expectNoLeaks(async () => {
    const log = join(directory, 'hops');
    const pool = new Pool({
      command: join(fixtures, 'fake-ssh.sh'),
      args: (workerId) => [hosts[workerId % hosts.length] as string, process.execPath, join(fixtures, 'echo-worker.mjs')],
      size: 4,
      env: { ...process.env, FAKE_SSH_LOG: log },
    });
    await pool.start();
    const workers = pool.stats().workers;
    expect(hops(log).sort()).toEqual(workers.map(({ id, pid }) => `${hosts[id % 2]} ${pid}`).sort());
    expect((await Promise.all(['a', 'b', 'c', 'd'].map((task) => pool.run(task)))).map(String)).toEqual(['a', 'b', 'c', 'd']);

    const victim = workers[3]?.pid as number;
    process.kill(victim, 'SIGKILL');
    await eventually(() => expect(livePids(pool)).not.toContain(victim));
    await expectFullSize(pool);
    const replacement = pool.stats().workers[3]?.pid;
    expect(hops(log).at(-1)).toBe(`beta.example ${replacement}`);
    await pool.close();
  }));

it('command as a function: the same, for a different program per worker', () =>
  expectNoLeaks(async () => {
    const pool = new Pool({
      command: (workerId) => (workerId === 0 ? process.execPath : 'python3'),
      args: (workerId) => (workerId === 0 ? [join(fixtures, 'echo-worker.mjs')] : ['-I', '-B', join(fixtures, '..', '..', 'workers', 'python', 'echo_worker.py')]),
      size: 2,
    });
    await pool.start();
    const commands = pool.stats().workers.map(({ pid }) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]);
    expect(commands[0]).toBe(process.execPath);
    expect(commands[1]).toMatch(/python3$/);
    await pool.close();
  }));

it('a function that returns something else rejects start() with a TypeError, and nothing is left running', () =>
  expectNoLeaks(async () => {
    const pool = new Pool({ command: () => 42 as unknown as string, size: 2 });
    await expect(pool.start()).rejects.toThrow('Expected the `command` option to be a non-empty string, got `42` (number)');
    const withArgs = new Pool({ command: process.execPath, args: () => 'not an array' as unknown as string[], size: 1 });
    await expect(withArgs.start()).rejects.toThrow(TypeError);
  }));
