// Remote runs over ssh against a real sshd this file starts on a localhost port (throwaway host
// and user keys, two host aliases in an ssh config, as docs/cli.md shows a user), side by side
// with GNU parallel where it is installed. Skipped, with the reason, where sshd cannot run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, spawnedPids, startCli, waitForOutput } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { allProcesses, eventually, expectNoLeaks } from '../helpers/leaks';
import { gnuParallel, ours, runWith, theirs } from './commands';
import { expectAllEnded } from './ended';
import { HOSTS, startSshd, type Sshd } from './sshd';

const root = path.join(__dirname, '..', '..');
let sshd: Sshd | string = 'not started';
let directory: string;

beforeAll(async () => {
  sshd = await startSshd();
  if (typeof sshd === 'string') console.warn(`remote runs: skipped: ${sshd}`);
  directory = mkdtempSync(path.join(tmpdir(), 'cli-remote-'));
});
afterAll(async () => {
  if (typeof sshd !== 'string') await sshd.stop();
  rmSync(directory, { recursive: true, force: true });
});

function daemon(): Sshd | null {
  return typeof sshd === 'string' ? null : sshd;
}

const hosts = HOSTS.join(',');

describe('remote runs over ssh (-S, --slf, --transferfile, --return, --cleanup, --onall, --nonall)', () => {
  it('-S: runs go to the hosts, with their PARALLEL_SEQ, in the same output and status as parallel', async (context) => {
    const server = daemon();
    if (server === null) return context.skip();
    await expectNoLeaks(async () => {
      const env = { ...process.env, PARALLEL_SSH: server.ssh, PARALLEL_SHELL: '/bin/bash' };
      const cases = [
        ['-k', '-S', hosts, 'echo {} $PARALLEL_SEQ $(whoami)', ':::', 'a', 'b', 'c'],
        ['-k', '-S', `1/${HOSTS[0]}`, 'exit {}', ':::', '0', '3', '0'],
        ['-k', '--nonall', '-S', hosts, 'echo', 'hi'],
        ['-k', '--onall', '-S', hosts, 'echo', ':::', 'x', 'y'],
      ];
      for (const args of cases) {
        const mine = await runWith(ours(args), '', { env });
        expect(mine.stderr, args.join(' ')).toBe('');
        if (gnuParallel === null) continue;
        const reference = await runWith(theirs(args), '', { env });
        expect({ stdout: mine.stdout, status: mine.exit.exitCode }, args.join(' ')).toEqual({ stdout: reference.stdout, status: reference.exit.exitCode });
      }
      // With no -j each host runs as many as it has CPUs (it is asked, as parallel asks it); -j N: N each.
      const asked = JSON.parse((await cli(['--json', '-S', hosts, '--ssh', server.ssh, 'true', ':::', 'a'])).stdout);
      expect(asked.workers).toBe(2 * availableParallelism());
      const given = JSON.parse((await cli(['--json', '-j', '1', '-S', `${hosts},3/:`, '--ssh', server.ssh, 'true', ':::', 'a'])).stdout);
      expect(given.workers).toBe(5);
      // process-spawner takes the same options; --slf reads the hosts from a file.
      const loginFile = path.join(directory, 'logins');
      writeFileSync(loginFile, `# the test hosts\n${HOSTS.join('\n')}\n`);
      const fromFile = await cli(['-k', '--slf', loginFile, '--ssh', server.ssh, 'echo', ':::', '1', '2']);
      expect(fromFile.stdout).toBe('1\n2\n');
    });
  });

  it('--trc: the file goes there, the result comes back, both are removed there (in --workdir); a shared file system loses nothing', async (context) => {
    const server = daemon();
    if (server === null) return context.skip();
    await expectNoLeaks(async () => {
      const local = path.join(directory, 'local');
      const remote = path.join(directory, 'remote');
      mkdirSync(local, { recursive: true });
      writeFileSync(path.join(local, 'one.txt'), 'hello\n');
      writeFileSync(path.join(local, 'two.txt'), 'world\n');
      const args = ['-S', hosts, '--ssh', server.ssh, '--workdir', remote, '--trc', '{}.out', 'tr a-z A-Z < {} > {}.out', ':::', 'one.txt', 'two.txt'];
      const result = await cli(args, undefined, { cwd: local });
      expect(result.exit.exitCode, result.stderr).toBe(0);
      expect(readFileSync(path.join(local, 'one.txt.out'), 'utf8')).toBe('HELLO\n');
      expect(readFileSync(path.join(local, 'two.txt.out'), 'utf8')).toBe('WORLD\n');
      // Cleaned up on the host: the workdir is left empty.
      expect(existsSync(path.join(remote, 'one.txt'))).toBe(false);
      expect(existsSync(path.join(remote, 'one.txt.out'))).toBe(false);
      // The host is this machine: a file sent to and returned from its own path is kept whole.
      const same = path.join(local, 'same.txt');
      writeFileSync(same, 'kept\n');
      const roundTrip = await cli(['-S', HOSTS[0], '--ssh', server.ssh, '--transferfile', same, '--return', same, 'cat {} > /dev/null', ':::', same]);
      expect(roundTrip.exit.exitCode, roundTrip.stderr).toBe(0);
      expect(readFileSync(same, 'utf8')).toBe('kept\n');
    });
  });

  it('no remote command outlives its run: a timeout, and SIGTERM to the command, end it on the host', async (context) => {
    const server = daemon();
    if (server === null) return context.skip();
    await expectNoLeaks(async () => {
      const seconds = `30.${process.pid}7`;
      const remoteSleeps = () => allProcesses().filter((stat) => stat.command === 'sleep' && readCmdline(stat.pid).includes(seconds));
      const timedOut = await cli(['-S', HOSTS[0], '--ssh', server.ssh, '--timeout', '1s', `sleep ${seconds}; echo {}`, ':::', 'a']);
      expect(timedOut.exit.exitCode).toBe(1);
      await eventually(() => expect(remoteSleeps()).toEqual([]), 5000);
      const run = startCli(['--verbose', '-S', hosts, '--ssh', server.ssh, `sleep ${seconds}; echo {}`, ':::', 'a', 'b']);
      run.stdin?.end();
      const finished = finish(run);
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      await eventually(() => expect(remoteSleeps()).toHaveLength(2), 5000);
      run.kill('SIGTERM');
      const result = await finished;
      expect(result.exit.signal).toBe('SIGTERM');
      await expectAllEnded(spawnedPids(stderr), 'pgrp');
      await eventually(() => expect(remoteSleeps()).toEqual([]), 5000);
    });
  });

  it('--worker on remote hosts: protocol workers through ssh, results in input order', async (context) => {
    const server = daemon();
    if (server === null) return context.skip();
    await expectNoLeaks(async () => {
      const worker = `node ${path.join(root, 'test/fixtures/echo-worker.mjs')}`;
      const lines = Array.from({ length: 12 }, (_, i) => `line ${i}`);
      const result = await cli(['--worker', worker, '-j', '2', '-S', hosts, '--ssh', server.ssh, '--json'], `${lines.join('\n')}\n`);
      expect(result.exit.exitCode, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary.results.map((entry: { result: string }) => entry.result)).toEqual(lines);
    });
  });
});

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
