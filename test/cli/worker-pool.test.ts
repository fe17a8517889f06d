// `process-spawner --worker "command"`: input lines as tasks for a pool of protocol workers.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCProgram, createBuildDirectory } from '../helpers/build-c-worker';
import { cli, spawnedPids, startCli, waitForOutput } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { expectNoLeaks } from '../helpers/leaks';
import { expectAllEnded } from './ended';

const root = path.join(__dirname, '..', '..');
const NODE_WORKER = `node ${path.join(root, 'test/fixtures/echo-worker.mjs')}`;
const PID_WORKER = `node ${path.join(root, 'test/fixtures/pid-worker.mjs')}`;
let buildDirectory: string;
let cWorker: string;

beforeAll(() => {
  buildDirectory = createBuildDirectory();
  cWorker = buildCProgram('echo_worker', buildDirectory);
});
afterAll(() => rmSync(buildDirectory, { recursive: true, force: true }));

describe('a pool of protocol workers', () => {
  it.each([
    ['Node', () => NODE_WORKER],
    ['C', () => cWorker],
  ])('prints a %s worker\'s results one per line, in input order', (_language, worker) =>
    expectNoLeaks(async () => {
      const lines = Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? `sleep:${20 - (i % 20)}` : `line ${i}`));
      const result = await cli(['--worker', worker(), '--workers', '3'], `${lines.join('\n')}\n`, { cwd: root });
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(lines.map((line) => `${line}\n`).join(''));
      expect(result.exit.exitCode).toBe(0);
    }),
  );

  it('reports failures on stderr with the line number, an empty line on stdout, and exits with the count', () =>
    expectNoLeaks(async () => {
      const result = await cli(['--worker', NODE_WORKER, '--workers', '2'], 'one\nerror:broken\nthree\n', { cwd: root });
      expect(result.stdout).toBe('one\n\nthree\n');
      expect(result.stderr).toMatch(/^process-spawner: line 2: .*broken/m);
      expect(result.exit.exitCode).toBe(1);
    }));

  it('reads tasks from --input FILE; --timeout and --retries apply to each task', () =>
    expectNoLeaks(async () => {
      const input = path.join(buildDirectory, 'tasks.txt');
      writeFileSync(input, 'a\nsleep:5000\ncrash\nb\n');
      const result = await cli(['--worker', cWorker, '--input', input, '--timeout', '300', '--retries', '1'], undefined, { cwd: root });
      expect(result.stdout).toBe('a\n\n\nb\n');
      expect(result.stderr).toMatch(/^process-spawner: line 2: The task ran longer than 300 ms/m);
      // A task that kills its worker every time fails once its retry is spent: two attempts.
      expect(result.stderr).toMatch(/^process-spawner: line 3: The task failed after 2 attempts: .*SIGABRT/m);
      expect(result.exit.exitCode).toBe(2);
    }));

  it('--json summarises the run', () =>
    expectNoLeaks(async () => {
      const result = await cli(['--json', '--worker', cWorker, '--workers', '2'], 'x\nerror:no\ny\n', { cwd: root });
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ mode: 'workers', workers: 2, tasks: 3, succeeded: 2, failed: 1, interruptedBy: null });
      expect(summary.results.map((r: { line: number; ok: boolean }) => [r.line, r.ok])).toEqual([[1, true], [2, false], [3, true]]);
    }));

  it('--json gives each result the pid of the worker that ran it', () =>
    expectNoLeaks(async () => {
      const tasks = Array.from({ length: 12 }, (_, i) => (i === 5 ? 'sleep:30 fail' : `sleep:${(i * 7) % 40}`));
      const result = await cli(['--json', '--verbose', '--worker', PID_WORKER, '-j', '3'], `${tasks.join('\n')}\n`, { cwd: root });
      const summary = JSON.parse(result.stdout) as { results: { line: number; ok: boolean; pid: number; result?: string; error?: string }[] };
      const workerPids = spawnedPids(result.stderr);
      expect(workerPids).toHaveLength(3);
      for (const task of summary.results) {
        // The worker answers with its own pid, or fails naming it.
        expect(String(task.pid)).toBe(task.ok ? task.result : /failed in (\d+)/.exec(task.error as string)?.[1]);
        expect(workerPids).toContain(task.pid);
      }
      expect(summary.results.filter((task) => !task.ok).map((task) => task.line)).toEqual([6]);
      expect(new Set(summary.results.map((task) => task.pid)).size).toBeGreaterThan(1);
    }));

  it('with a slow reader, reads no more tasks while our stdout is full: memory stays flat', () =>
    expectNoLeaks(async () => {
      // 150 results of 1 MB, and a reader that reads nothing for 2 s, then all of it.
      const run = startCli(['--worker', NODE_WORKER, '-j', '2'], { cwd: root });
      run.stdin?.end('big:1000000\n'.repeat(150));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // The command's own peak (the rusage of its end would include its workers').
      const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${run.pid}/status`, 'utf8'))?.[1]);
      let bytes = 0;
      for await (const chunk of run.stdout as NodeJS.ReadableStream) bytes += (chunk as Buffer).length;
      const info = await run.exited;
      expect(info.exitCode).toBe(0);
      expect(bytes).toBe(150 * 1_000_001);
      // The results held for the reader would be most of 150 MB on top of Node's own.
      expect(peakKiB).toBeLessThan(130 * 1024);
    }));

  it('says clearly when the worker cannot start: a missing program as a shell does (127), a worker that dies (255)', () =>
    expectNoLeaks(async () => {
      const missing = await cli(['--worker', 'no-such-worker-xyz'], 'x\n');
      expect(missing.exit.exitCode).toBe(127);
      expect(missing.stderr).toBe('process-spawner: no-such-worker-xyz: spawn no-such-worker-xyz ENOENT (execvp)\n');
      const dies = await cli(['--worker', 'cd / && no-such-worker-xyz', '-j', '1'], 'x\n');
      expect(dies.exit.exitCode).toBe(255);
      expect(dies.stderr).toMatch(/process-spawner: Worker \d+ \(pid \d+\) exited with status 127 before sending WORKER_READY/);
    }));

  it('SIGTERM runs the shutdown ladder, dies of SIGTERM and leaves no worker behind', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '--worker', cWorker, '--workers', '3'], { cwd: root });
      run.stdin?.write('sleep:10000\n'); // stdin stays open: the run would go on
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){3}/);
      const pids = spawnedPids(stderr);
      run.kill('SIGTERM');
      const result = await finish(run);
      expect(result.exit.signal, stderr + result.stderr).toBe('SIGTERM');
      await expectAllEnded(pids, 'pid');
    }));
});
