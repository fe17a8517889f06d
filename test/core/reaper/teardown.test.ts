// Nothing of ours may run after the process has started to end, and a thread that goes away
// leaves nothing behind: process exits while the orphanage's helper thread reaps a terminated
// worker_thread's child (2,000 of them in the soak), and 500 worker_threads terminated in the
// middle of a spawn loop.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../../src/index';
import { finish } from '../../helpers/collect';
import { eventually, expectNoLeaks, openFds, readProcStat } from '../../helpers/leaks';
import { native } from '../../../src/core/native';

const root = path.join(__dirname, '..', '..', '..');
// 2,000 in `npm run soak` (scripts/soak.mjs runs this file with the variable set); fewer here,
// where the whole suite must stay under ten minutes on two cores.
const EXITS = Number(process.env['PROCESS_SPAWNER_TEARDOWN_EXITS'] ?? 300);
const AT_ONCE = 4;
const TERMINATIONS = 500;

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

describe('a process that ends while its exits are being watched', () => {
  it(`${EXITS} exits beside a terminated worker_thread's child and a child of the main thread: no abort, nothing printed`, () =>
    expectNoLeaks(async () => {
      const fixture = path.join(__dirname, 'fixtures', 'exit-beside-orphans.js');
      const failures: string[] = [];
      const leftRunning: number[] = [];
      let next = 0;
      async function runner(): Promise<void> {
        while (next < EXITS) {
          const index = next++;
          const args = [fixture, index % 2 === 0 ? 'vfork' : 'fork', index % 4 < 2 ? 'terminate' : 'return'];
          const { stdout, stderr, exit } = await finish(spawn(process.execPath, args, { cwd: root }));
          leftRunning.push(...stdout.split(/\s+/).filter(Boolean).map(Number));
          if (exit.exitCode !== 0 || exit.signal !== null || stderr !== '') {
            failures.push(`run ${index}: ${exit.exitCode ?? exit.signal} ${stderr.slice(0, 300)}`);
          }
        }
      }
      try {
        await Promise.all(Array.from({ length: AT_ONCE }, runner));
      } finally {
        killAll(leftRunning);
      }
      expect(failures).toEqual([]);
      expect(leftRunning).toHaveLength(EXITS * 2);
    }), 600_000);
});

describe('worker_threads terminated in a spawn loop', () => {
  it(`leak no fd and leave no child over ${TERMINATIONS} terminations`, () =>
    expectNoLeaks(async () => {
      const code = `
        const { spawn } = require('process-spawner');
        const { parentPort, workerData } = require('node:worker_threads');
        parentPort.postMessage('ready');
        for (let i = 0; ; i++) {
          const child = spawn('true', [], { spawnMethod: workerData.spawnMethod });
          // Some streams taken (a socket holds the fd), some left to the addon.
          if (i % 3 === 0) child.stdout.resume();
        }`;
      // A first worker, so that what Node itself keeps open after one (an fd of /dev/null) is
      // in the before-snapshot of the checks below.
      const warmUp = new Worker('', { eval: true });
      await new Promise((resolve) => warmUp.once('exit', resolve));
      const fdsBefore = [...openFds().values()].filter((target) => !target.startsWith('anon_inode:[pidfd]')).sort();
      for (let i = 0; i < TERMINATIONS; i++) {
        const worker = new Worker(code, { eval: true, workerData: { spawnMethod: i % 2 === 0 ? 'vfork' : 'fork' } });
        await new Promise((resolve) => worker.once('message', resolve));
        // Terminated somewhere in the loop: between a clone and its Subprocess, in a stream's
        // creation, anywhere.
        await new Promise((resolve) => setTimeout(resolve, i % 7));
        await worker.terminate();
      }
      // The orphanage keeps an epoll set while it has orphans to reap (the last workers' children).
      await eventually(() => expect(native.orphansWaiting()).toBe(0), 5000);
      await eventually(() => {
        const fdsAfter = [...openFds().values()].filter((target) => !target.startsWith('anon_inode:[pidfd]')).sort();
        expect(fdsAfter).toEqual(fdsBefore);
      });
      // expectNoLeaks then waits for every child to be reaped (by the orphanage) and the
      // orphanage's pidfds to be closed.
    }), 300_000);
});

describe('the orphanage', () => {
  it('is never started by the main thread going away', () => {
    // The main thread's children outlive it as init's; a helper thread started at that point
    // would race the process's exit. No thread is made after the script's last line.
    const script = `
      const { spawn } = require('process-spawner');
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      child.unref();
      process.stdout.write(child.pid + '\\n');`;
    const directory = mkdtempSync(path.join(tmpdir(), 'teardown-strace-'));
    const trace = path.join(directory, 'trace');
    let pid = 0;
    try {
      // Following the threads, not the child past its exec (it sleeps on after we are gone).
      const args = ['-f', '--detach-on=execve', '-qq', '-o', trace, '-e', 'trace=write,clone3,clone'];
      const output = execFileSync('strace', [...args, process.execPath, '-e', script], {
        cwd: root,
        encoding: 'utf8',
      });
      pid = Number(output.trim());
      const lines = readFileSync(trace, 'utf8').split('\n');
      const printed = lines.findIndex((line) => line.includes(`write(1, "${pid}\\n"`));
      expect(printed).toBeGreaterThan(0);
      expect(lines.slice(printed).filter((line) => /clone3?\(/.test(line))).toEqual([]);
      expect(readProcStat(pid)?.ppid).not.toBe(process.pid);
    } finally {
      if (pid > 0) killAll([pid]);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
