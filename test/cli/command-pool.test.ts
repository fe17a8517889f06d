// `process-spawner --workers N --tasks M "command"`: runs of a command, N at once.
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { spawn, type Subprocess } from '../../src/index';
import { CLI, cli, spawnedPids, startCli, waitForOutput } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { expectAllEnded } from './ended';

describe('a pool of commands', () => {
  it('the seed check: --workers 3 --tasks 5 "sleep 1; echo done" prints five lines, three at once', () =>
    expectNoLeaks(async () => {
      const result = await cli(['--verbose', '--workers', '3', '--tasks', '5', 'sleep 1; echo done']);
      expect(result.stdout).toBe('done\n'.repeat(5));
      expect(result.exit.exitCode).toBe(0);
      // Three spawned before any ended: they ran concurrently. Never more than three running.
      const events = result.stderr.split('\n').filter((line) => / spawned pid | ended: /.test(line));
      expect(events.slice(0, 3).every((line) => line.includes('spawned pid'))).toBe(true);
      expect(events[3]).toContain('ended: exit 0');
      let running = 0;
      for (const line of events) {
        running += line.includes('spawned pid') ? 1 : -1;
        expect(running).toBeLessThanOrEqual(3);
      }
      expect(events.filter((line) => line.includes('spawned pid'))).toHaveLength(5);
    }));

  it('-N n (--max-args) gives each run n arguments: {} all of them, {1}..{n} each, appended without either', () =>
    expectNoLeaks(async () => {
      expect((await cli(['-k', '-N', '2', 'echo', ':::', 'a', 'b', 'c', 'd', 'e'])).stdout).toBe('a b\nc d\ne\n');
      expect((await cli(['-k', '-N2', 'echo x{2}-{1} [{}] {#}', ':::', 'a', 'b c', 'd'])).stdout).toBe('xb c-a [a b c] 1\nx-d [d] 2\n');
      expect((await cli(['-k', '--max-args=3', '--', 'printf', '%s|'], '1\n2\n3\n4\n')).stdout).toBe('1|2|3|4|');
      // -n keeps its meaning here: --tasks M, runs 0..M-1; -N groups those too.
      expect((await cli(['-k', '-n', '5', '-N', '2', 'echo {}'])).stdout).toBe('0 1\n2 3\n4\n');
      // -N 0, as in parallel: a run per input, none of it in the command.
      expect((await cli(['-k', '-N', '0', 'echo x', ':::', 'a', 'b'])).stdout).toBe('x\nx\n');
      const bad = await cli(['-N', 'two', 'echo', ':::', 'a']);
      expect(bad.exit.exitCode).toBe(255);
      expect(bad.stderr).toMatch(/^process-spawner: --max-args takes a whole number of at least 0, got 'two'\n/);
    }));

  it('replaces {} with the task index', () =>
    expectNoLeaks(async () => {
      const { stdout } = await cli(['-w', '4', '-n', '6', 'echo task {}']);
      expect(stdout.trim().split('\n').sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `task ${i}`));
    }));

  it('prints each task as one block, in completion order, or in task order with --keep-order', () =>
    expectNoLeaks(async () => {
      // Later tasks finish first; each prints three lines with a pause in between.
      const command = 'echo {}-a; sleep 0.0$((5 - {})); echo {}-b; echo {}-c';
      const unordered = await cli(['--verbose', '-w', '5', '-n', '5', command]);
      const blocks = unordered.stdout.trim().split('\n');
      for (let i = 0; i < blocks.length; i += 3) {
        const task = blocks[i]?.split('-')[0];
        expect(blocks.slice(i, i + 3)).toEqual([`${task}-a`, `${task}-b`, `${task}-c`]);
      }
      // Completion order: the order of the "ended" lines.
      const endedOrder = [...unordered.stderr.matchAll(/run (\d+): pid \d+ ended/g)].map((match) => String(Number(match[1]) - 1));
      expect(blocks.filter((_, i) => i % 3 === 0).map((line) => line.split('-')[0])).toEqual(endedOrder);

      const ordered = await cli(['--keep-order', '-w', '5', '-n', '5', command]);
      expect(ordered.stdout).toBe([0, 1, 2, 3, 4].map((i) => `${i}-a\n${i}-b\n${i}-c\n`).join(''));
    }));

  it('exits with the number of failed runs, and says so for a run that cannot be spawned', () =>
    expectNoLeaks(async () => {
      expect((await cli(['-n', '3', 'exit $(( {} == 1 ))'])).exit.exitCode).toBe(1);
      const missing = await cli(['-n', '2', '--', 'no-such-program-xyz', '{}']);
      expect(missing.exit.exitCode).toBe(2);
      expect(missing.stderr).toContain('process-spawner: run 1 (0): spawn no-such-program-xyz ENOENT (execvp)');
    }));

  it('--no-shell splits the string with shell quoting and runs it without a shell', () =>
    expectNoLeaks(async () => {
      const { stdout } = await cli(['--no-shell', '-n', '1', `printf '%s|' 'a b' "c {}" $HOME`]);
      expect(stdout).toBe('a b|c 0|$HOME|');
    }));

  it('--json prints a summary with per-task status and durations instead of the outputs', () =>
    expectNoLeaks(async () => {
      const { stdout, exit } = await cli(['--json', '-w', '2', '-n', '3', 'echo out; exit {}']);
      expect(exit.exitCode).toBe(2);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({ mode: 'commands', workers: 2, tasks: 3, started: 3, succeeded: 1, failed: 2, interruptedBy: null });
      expect(summary.wallMs).toBeGreaterThan(0);
      expect(summary.results.map((r: { exitCode: number }) => r.exitCode)).toEqual([0, 1, 2]);
      for (const result of summary.results) {
        expect(result.durationMs).toBeGreaterThan(0);
        expect(result.pid).toBeGreaterThan(0);
        expect(result.maxRssKiB).toBeGreaterThan(0);
      }
    }));

  it('--timeout stops a task and its whole process group', () =>
    expectNoLeaks(async () => {
      const { stdout, exit } = await cli(['--json', '--timeout', '100', '-n', '1', 'sleep 30 & sleep 30; echo never']);
      expect(exit.exitCode).toBe(1);
      expect(JSON.parse(stdout).results[0]).toMatchObject({ ok: false, timedOut: true, signal: 'SIGTERM' });
    }));

  it('SIGTERM stops the run, its tasks and everything they started (after --drain-timeout), and dies of SIGTERM', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '-w', '2', '-n', '10', '--drain-timeout', '200ms', 'sleep 30 & sleep 30']);
      run.stdin?.end();
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      const pids = spawnedPids(stderr);
      run.kill('SIGTERM');
      const result = await finish(run);
      expect(result.exit.signal).toBe('SIGTERM');
      // Each task led a group of its own: nothing of any group is left, background sleeps included.
      await expectAllEnded(pids, 'pgrp');
    }));

  it('stops like a pipeline when its reader goes away (| head): dies of SIGPIPE, no task left', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '-w', '2', '-n', '1000', 'echo task {}; sleep 0.01']);
      run.stdin?.end();
      await waitForOutput(run.stdout, /task/);
      run.stdout?.destroy();
      const stderr: string[] = [];
      run.stderr?.on('data', (chunk: Buffer) => stderr.push(String(chunk)));
      const exit = await run.exited;
      expect(exit.signal).toBe('SIGPIPE');
      const pids = spawnedPids(stderr.join(''));
      await expectAllEnded(pids, 'pgrp');
    }));

  it('shows a progress line on a terminal only', () =>
    expectNoLeaks(async () => {
      const piped = await cli(['-w', '2', '-n', '4', 'true']);
      expect(piped.stderr).toBe('');
      // script(1) gives the command a pseudo-terminal; what it drew comes back on script's stdout.
      const { stdout } = await finish(underTerminal(['-w', '2', '-n', '4', 'true']));
      expect(stdout).toMatch(/\[#{24}\] done 4\/4, failed 0, running 0, [\d.]+\/s/);
    }));
});

function underTerminal(args: string[]): Subprocess {
  const command = [process.execPath, CLI, ...args].map((arg) => `'${arg}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null']);
  child.stdin?.end();
  return child;
}
