// The reaper: SIGCHLD through the self-pipe, per-pid wait4, and living beside child_process,
// worker_threads and other SIGCHLD listeners.
import childProcess from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { spawn, type Subprocess } from '../../../src/index';
import { native } from '../../../src/core/native';
import { countOpenFds, expectNoLeaks, readProcStat, zombieChildren } from '../../helpers/leaks';
import { finish } from '../../helpers/collect';

function nodeExit(child: childProcess.ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('reaping', () => {
  it('500 spawns leave the open-fd count unchanged and no zombie', () =>
    expectNoLeaks(async () => {
      const fdsBefore = countOpenFds();
      for (let batch = 0; batch < 50; batch++) {
        const children: Subprocess[] = [];
        for (let i = 0; i < 10; i++) children.push(spawn('true'));
        const results = await Promise.all(children.map(finish));
        for (const result of results) expect(result.exit.exitCode).toBe(0);
      }
      expect(zombieChildren()).toEqual([]);
      expect(countOpenFds()).toBe(fdsBefore);
    }));

  it('keeps the event loop alive while a child runs, and lets the process exit after', () =>
    expectNoLeaks(async () => {
      const { stdout, exit } = await finish(spawn(process.execPath, [path.join(__dirname, '..', '..', 'fixtures/loop-liveness.js')]));
      expect(stdout).toBe('exit 0\n');
      expect(exit.exitCode).toBe(0);
    }));

  it('unref() lets the process end while its child still runs', () =>
    expectNoLeaks(async () => {
      const { stdout, exit } = await finish(spawn(process.execPath, [path.join(__dirname, '..', '..', 'fixtures/unref-child.js')], { cwd: path.join(__dirname, '..', '..', '..') }));
      expect(exit.exitCode).toBe(0);
      const { pid, aliveAtExit } = JSON.parse(stdout) as { pid: number; aliveAtExit: boolean };
      expect(aliveAtExit).toBe(true);
      process.kill(pid, 'SIGKILL'); // the orphan, adopted by init: not ours to reap
    }));

  it("keeps hearing exits after an 'exit' listener throws", () =>
    expectNoLeaks(async () => {
      const { stdout, exit } = await finish(
        spawn(process.execPath, [path.join(__dirname, '..', '..', 'fixtures/throwing-exit-listener.js')], { cwd: path.join(__dirname, '..', '..', '..') }),
      );
      expect(stdout).toBe('uncaught: listener failed\nnext exit: 7\n');
      expect(exit.exitCode).toBe(0);
    }));

  it('reports ECHILD, without crashing, when someone else reaped our child', () =>
    expectNoLeaks(async () => {
      const child = spawn('true', [], { stdio: 'ignore' });
      // Block the event loop and steal the exit with a wait4 of our own before the reaper runs.
      const pause = new Int32Array(new SharedArrayBuffer(4));
      let stolen: unknown[] = [];
      while (stolen.length === 0) {
        Atomics.wait(pause, 0, 0, 2);
        stolen = native.reapAdoptedChildren(Int32Array.of(child.pid));
      }
      const errors: Error[] = [];
      child.on('error', (error) => errors.push(error));
      const exit = await child.exited;
      expect(exit).toMatchObject({ exitCode: null, signal: null, status: null, rusage: null });
      expect(exit.reapError).toMatchObject({ code: "ECHILD", syscall: "waitid", pid: child.pid });
      expect(errors).toEqual([exit.reapError]);
      expect(child.kill()).toBe(false);
    }));
});

describe('living beside child_process', () => {
  it('sees our exit after child_process has replaced and then reset the SIGCHLD handler', () =>
    expectNoLeaks(async () => {
      const ours = spawn('sleep', ['0.3'], { stdio: 'ignore' });
      // libuv installs its handler (dropping ours), and sets SIG_DFL when its child is gone.
      const theirs = childProcess.spawn('true');
      expect(await nodeExit(theirs)).toBe(0);
      const exit = await ours.exited;
      expect(exit.exitCode).toBe(0);
    }));

  it('sees both sides when they run interleaved in every order', () =>
    expectNoLeaks(async () => {
      const runs: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++) {
        const delay = (round * 7) % 40;
        runs.push(finish(spawn('sh', ['-c', `sleep 0.0${delay % 10}; exit ${round % 3}`])).then((r) => {
          expect(r.exit.exitCode).toBe(round % 3);
        }));
        const theirs = childProcess.spawn('sh', ['-c', `sleep 0.0${(delay + 3) % 10}; exit ${(round + 1) % 3}`]);
        runs.push(nodeExit(theirs).then((code) => expect(code).toBe((round + 1) % 3)));
        if (round % 4 === 0) await sleepMs(delay);
      }
      await Promise.all(runs);
    }));

  it('chains the previous handler, so process.on("SIGCHLD") listeners still hear exits', () =>
    expectNoLeaks(async () => {
      let heard = 0;
      const listener = () => heard++;
      process.on('SIGCHLD', listener);
      try {
        // Our spawn finds libuv's handler installed for the listener and chains it.
        const first = spawn('true', [], { stdio: 'ignore' });
        await first.exited;
        const second = spawn('sh', ['-c', 'sleep 0.05'], { stdio: 'ignore' });
        await second.exited;
        await sleepMs(20);
        expect(heard).toBeGreaterThanOrEqual(1);
      } finally {
        process.off('SIGCHLD', listener);
      }
    }));
});

describe('worker_threads', () => {
  it('spawns from a worker and from the main thread at the same time', () =>
    expectNoLeaks(async () => {
      const worker = new Worker(path.join(__dirname, '..', '..', 'fixtures/spawn-in-worker.js'), { workerData: { count: 20 } });
      const fromWorker = new Promise<{ code: number; out: string }[]>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const fromMain = Array.from({ length: 20 }, (_, i) => finish(spawn('sh', ['-c', `echo main-${i}; exit ${i % 4}`])));
      const mainResults = await Promise.all(fromMain);
      const workerResults = await fromWorker;
      mainResults.forEach((result, i) => {
        expect(result.stdout).toBe(`main-${i}\n`);
        expect(result.exit.exitCode).toBe(i % 4);
      });
      workerResults.forEach((result, i) => expect(result).toEqual({ code: i % 5, out: `worker-${i}\n` }));
      await worker.terminate();
    }));

  it('reaps the children of a worker thread that ended before them', () =>
    expectNoLeaks(async () => {
      const worker = new Worker(path.join(__dirname, '..', '..', 'fixtures/orphan-in-worker.js'));
      const pid = await new Promise<number>((resolve) => worker.once('message', resolve));
      await worker.terminate();
      expect(readProcStat(pid)?.ppid).toBe(process.pid);
      // expectNoLeaks then waits for it to be gone: reaped by this thread, not left a zombie.
    }));
});
