// Signals and process groups, run as a user does: on a terminal (script(1)) or signalled.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { spawn, type Subprocess } from '../../src/index';
import { CLI, cli, spawnedPids, startCli, waitForOutput } from '../helpers/cli';
import { finish, type Finished } from '../helpers/collect';
import { allProcesses, expectNoLeaks, eventually } from '../helpers/leaks';
import { expectAllEnded } from './ended';

const root = path.join(__dirname, '..', '..');
const PID_WORKER = `node ${path.join(root, 'test/fixtures/pid-worker.mjs')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGINT, and another 200 ms later: how the command ended, and how long after the second. */
async function interruptTwice(run: Subprocess): Promise<{ result: Finished; afterSecondMs: number }> {
  run.kill('SIGINT');
  await sleep(200);
  const secondAt = performance.now();
  run.kill('SIGINT');
  const result = await finish(run);
  return { result, afterSecondMs: performance.now() - secondAt };
}

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

  it('Ctrl-Z stops the single child and the command, as a shell job: the prompt comes back, fg continues both', () =>
    expectNoLeaks(async () => {
      // An interactive bash (job control) on a terminal of script(1), typed into as a user does.
      const bash = `env -i HOME=/tmp TERM=dumb PATH='${process.env.PATH}' PS1='$ ' bash --norc --noprofile -i`;
      const terminal = spawn('script', ['-qec', bash, '/dev/null']);
      let screen = '';
      terminal.stdout?.on('data', (chunk: Buffer) => (screen += chunk.toString().replaceAll('\r', '')));
      const until = (pattern: RegExp) => eventually(() => expect(screen).toMatch(pattern), 10_000);
      const ticks = () => screen.match(/tick\d+/g)?.length ?? 0;
      const type = (keys: string) => terminal.stdin?.write(keys);
      let typedAll = false;
      try {
        await until(/\$ $/);
        type(`${process.execPath} ${CLI} 'for i in $(seq 10); do echo tick$i; sleep 0.2; done'\n`);
        await until(/tick2\n/);
        type('\x1a');
        await until(/Stopped/);
        type('echo marker $((6*7))\n');
        await until(/marker 42\n/);
        const ticksWhileStopped = ticks();
        await sleep(600);
        // Stopped: three 0.2 s ticks would have come by now.
        expect(ticks()).toBe(ticksWhileStopped);
        expect(ticksWhileStopped).toBeLessThan(10);
        type('fg\n');
        await until(/tick10\n/);
        type('echo status=$?\n');
        await until(/status=\d+/);
        type('exit\n');
        typedAll = true;
      } finally {
        // A failure leaves no terminal behind: its bash gets SIGHUP, and passes it to its jobs.
        if (!typedAll) terminal.kill('SIGKILL');
      }
      const exit = await terminal.exited;
      expect(exit.exitCode).toBe(0);
      expect(screen).toMatch(/status=0/);
      expect(screen.match(/tick\d+\n/g)).toEqual(Array.from({ length: 10 }, (_, k) => `tick${k + 1}\n`));
    }));

  it('worker mode: SIGINT starts no queued task, lets the running ones finish, dies of SIGINT', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '--worker', PID_WORKER, '-j', '2', '--drain-timeout', '3s'], { cwd: root });
      run.stdin?.write(Array.from({ length: 10 }, () => 'sleep:1200').join('\n') + '\n');
      // Both workers are running a task.
      const stderr = await waitForOutput(run.stderr, /(started sleep[\s\S]*){2}/);
      run.kill('SIGINT');
      const result = await finish(run);
      expect(result.exit.signal, stderr + result.stderr).toBe('SIGINT');
      // The two running when the signal came finished; none of the eight queued was started.
      expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
      const pids = spawnedPids(stderr);
      await expectAllEnded(pids, 'pid');
    }));

  it('worker mode: SIGTERM drains as SIGINT does (dies of SIGTERM); a second SIGINT ends the tasks at once', () =>
    expectNoLeaks(async () => {
      const tasks = (ms: number) => Array.from({ length: 6 }, () => `sleep:${ms}`).join('\n') + '\n';
      const twoRunning = /(started sleep[\s\S]*){2}/;
      const drained = startCli(['--verbose', '--worker', PID_WORKER, '-j', '2'], { cwd: root });
      drained.stdin?.end(tasks(1000));
      const startedDrained = await waitForOutput(drained.stderr, twoRunning);
      drained.kill('SIGTERM');
      const afterTerm = await finish(drained);
      expect(afterTerm.exit.signal, startedDrained + afterTerm.stderr).toBe('SIGTERM');
      // The two running tasks answered (their workers' pids); none of the four queued started.
      expect(afterTerm.stdout).toMatch(/^\d+\n\d+\n$/);
      expect(afterTerm.stderr).not.toContain('started');

      const killed = startCli(['--verbose', '--worker', PID_WORKER, '-j', '2'], { cwd: root });
      killed.stdin?.end(tasks(30_000));
      const stderr = await waitForOutput(killed.stderr, twoRunning);
      const { result: afterTwo, afterSecondMs } = await interruptTwice(killed);
      expect(afterTwo.exit.signal, stderr + afterTwo.stderr).toBe('SIGINT');
      expect(afterSecondMs).toBeLessThan(2000);
      expect(afterTwo.stdout).toBe('\n\n');
      const pids = spawnedPids(stderr);
      await expectAllEnded(pids, 'pid');
    }));

  it('command pool: SIGTERM starts no queued run and lets the running ones finish, dies of SIGTERM', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '-j', '2', '-k', 'sleep 1; echo done {}', ':::', 'a', 'b', 'c', 'd', 'e']);
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      await sleep(300);
      run.kill('SIGTERM');
      const result = await finish(run);
      expect(result.exit.signal, stderr + result.stderr).toBe('SIGTERM');
      expect(result.stdout).toBe('done a\ndone b\n');
      expect(spawnedPids(stderr + result.stderr)).toHaveLength(2);
      expect(result.stderr).toContain('SIGTERM: starting no more runs; the 2 running runs get 5 s to finish');
    }));

  it('command pool: after --drain-timeout the running runs are stopped (SIGTERM to their groups), dies of SIGINT', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '-j', '2', '--drain-timeout', '1s', 'sleep 30 & wait; echo not reached', ':::', 'a', 'b', 'c']);
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      run.kill('SIGINT');
      const signalledAt = performance.now();
      const result = await finish(run);
      const waitedMs = performance.now() - signalledAt;
      expect(result.exit.signal, stderr + result.stderr).toBe('SIGINT');
      expect(waitedMs).toBeGreaterThanOrEqual(950);
      expect(waitedMs).toBeLessThan(4500);
      expect(result.stdout).toBe('');
      // The runs (and the sleeps in their groups) were ended by us, not counted as failures.
      expect(result.stderr).not.toMatch(/run \d+ \(/);
      const pids = spawnedPids(stderr + result.stderr);
      expect(pids).toHaveLength(2);
      // Each run led a group of its own: nothing of either group is left, the sleeps included.
      await expectAllEnded(pids, 'pgrp');
    }));

  it('command pool: a second SIGINT kills the running runs at once', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '-j', '2', '-n', '3', 'sleep 30']);
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      const { result, afterSecondMs } = await interruptTwice(run);
      expect(result.exit.signal, stderr + result.stderr).toBe('SIGINT');
      // Well before the 5 s drain or the 2 s SIGTERM grace.
      expect(afterSecondMs).toBeLessThan(1500);
      const pids = spawnedPids(stderr);
      expect(allProcesses().filter((stat) => pids.includes(stat.pid))).toEqual([]);
    }));

  it('no child outlives the command: a setsid daemon left by a run is ended (normal end and timeout)', () =>
    expectNoLeaks(async () => {
      // A duration no other process on the machine uses, so that only our daemons are looked for.
      const duration = `31.${process.pid}${Date.now() % 1000}`;
      const daemon = `setsid sleep ${duration} >/dev/null 2>&1`;
      for (const args of [[`${daemon} & echo started`], ['-n', '1', '--timeout', '300ms', `${daemon} & sleep 5`]]) {
        const result = await cli(['--verbose', ...args]);
        expect(result.stderr).toContain('ended 1 adopted process left behind by the runs');
      }
      const ourDaemons = () => allProcesses().filter((stat) => stat.command === 'sleep' && stat.state !== 'Z' && cmdline(stat.pid) === `sleep\0${duration}\0`);
      await eventually(() => expect(ourDaemons()).toEqual([]));
    }));
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
