// Signals and process groups, run as a user does: on a terminal (script(1)) or signalled.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { CLI, cli, spawnedPids, startCli, waitForOutput } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { allProcesses, expectNoLeaks, eventually } from '../helpers/leaks';

const root = path.join(__dirname, '..', '..');

/** Runs the command under script(1) and types `keys` into its terminal after `afterSeconds`. */
function onTerminal(args: string[], keys: string, afterSeconds: number) {
  const command = [process.execPath, CLI, ...args].map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(' ');
  const typed = `sleep ${afterSeconds}; printf '${keys}'; sleep 3`;
  return finish(spawn('sh', ['-c', `(${typed}) | script -qec "$0" /dev/null`, command]));
}

describe('interrupts and process groups', () => {
  it('one Ctrl-C on a terminal reaches the single child exactly once', () =>
    expectNoLeaks(async () => {
      const result = await onTerminal(['trap "echo got INT" INT; sleep 1 & wait; sleep 1 & wait'], '\\003', 0.6);
      expect(result.stdout.match(/got INT/g)).toEqual(['got INT']);
    }));

  it('the single child has the terminal: it reads what is typed', () =>
    expectNoLeaks(async () => {
      const result = await onTerminal(['read line; echo "read:$line"'], 'typed\\n', 0.6);
      expect(result.stdout).toContain('read:typed');
    }));

  it('worker mode: SIGINT starts no queued task, lets the running ones finish, exits 130', () =>
    expectNoLeaks(async () => {
      const worker = `node ${path.join(root, 'test/fixtures/echo-worker.mjs')}`;
      const run = startCli(['--verbose', '--worker', worker, '-j', '2', '--drain-timeout', '3s'], { cwd: root });
      run.stdin?.write(Array.from({ length: 10 }, () => 'sleep:1200').join('\n') + '\n');
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      await new Promise((resolve) => setTimeout(resolve, 700));
      run.kill('SIGINT');
      const result = await finish(run);
      expect(result.exit.exitCode, stderr + result.stderr).toBe(130);
      // The two running when the signal came finished; none of the eight queued was started.
      expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
      const pids = spawnedPids(stderr);
      await eventually(() => expect(allProcesses().filter((stat) => pids.includes(stat.pid) && stat.state !== 'Z')).toEqual([]));
    }));

  it('no child outlives the command: a setsid daemon left by a run is ended (normal end and timeout)', () =>
    expectNoLeaks(async () => {
      for (const args of [['setsid sleep 31 >/dev/null 2>&1 & echo started'], ['-n', '1', '--timeout', '300ms', 'setsid sleep 31 >/dev/null 2>&1 & sleep 5']]) {
        const result = await cli(['--verbose', ...args]);
        expect(result.stderr).toContain('ended 1 adopted process left behind by the runs');
      }
      await eventually(() => expect(allProcesses().filter((stat) => stat.command === 'sleep' && stat.state !== 'Z' && stat.ppid === 1)).toEqual([]));
    }));
});
