// runSync(): run()'s result and errors without the event loop, the loop's own edges (EINTR, no
// pidfd, a grandchild holding the pipes), and its coexistence with the async reaper.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SpawnError } from '../../src/core/errors';
import { RunError } from '../../src/run/errors';
import { runSync, spawn } from '../../src/index';
import { reaper } from '../../src/core/reaper';
import { childProcesses, eventually, expectNoLeaks, killByPidFile, zombieChildren } from '../helpers/leaks';

const MiB = 1024 * 1024;
const hasStrace = spawnSync('strace', ['-V']).status === 0;

/** What runSync threw; fails the test when it returned or threw something else. */
function thrownBy<T extends Error>(type: new (...args: never[]) => T, body: () => unknown): T {
  let caught: unknown = null;
  try {
    body();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  return caught as T;
}

describe('runSync: output and status', () => {
  it('returns stdout, stderr, how the child ended, its rusage and the raw wait status', () =>
    expectNoLeaks(() => {
      const result = runSync('sh', ['-c', 'echo out; echo err >&2']);
      expectTypeOf(result.stdout).toEqualTypeOf<string>();
      expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 0, signal: null, coreDumped: false, status: 0 });
      expect(result.pid).toBeGreaterThan(0);
      expect(result.durationMs).toBeGreaterThan(0);
      expect(result.rusage?.maxRssKiB).toBeGreaterThan(0);
    }));

  it('keeps the raw status of an exit code and of a signal (reject: false)', () =>
    expectNoLeaks(() => {
      expect(runSync('sh', ['-c', 'exit 3'], { reject: false })).toMatchObject({ exitCode: 3, signal: null, status: 3 << 8 });
      expect(runSync('sh', ['-c', 'kill -KILL $$'], { reject: false })).toMatchObject({ exitCode: null, signal: 'SIGKILL', status: 9 });
    }));

  it("gives Buffers with encoding: 'buffer', every byte value intact", () =>
    expectNoLeaks(() => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const result = runSync('cat', { input: bytes, encoding: 'buffer' });
      expectTypeOf(result.stdout).toEqualTypeOf<Buffer>();
      expect(result.stdout.equals(bytes)).toBe(true);
    }));

  it('feeds a large input as the child reads it while collecting a large output (no deadlock)', () =>
    expectNoLeaks(() => {
      const input = randomBytes(8 * MiB);
      const result = runSync('cat', { input, encoding: 'buffer' });
      expect(result.stdout.equals(input)).toBe(true);
    }));

  it('closes stdin at once without input, and takes a string input', () =>
    expectNoLeaks(() => {
      expect(runSync('cat').stdout).toBe('');
      expect(runSync('tr', ['a-z', 'A-Z'], { input: 'shout' }).stdout).toBe('SHOUT');
    }));

  it('is not failed by a child that stops reading its input (EPIPE), as run()', () =>
    expectNoLeaks(() => {
      const result = runSync('head', ['-c', '1'], { input: Buffer.alloc(4 * MiB, 'x') });
      expect(result).toMatchObject({ stdout: 'x', exitCode: 0 });
    }));

  it("passes stdio 'ignore' and 'inherit' slots through: their output is empty", () =>
    expectNoLeaks(() => {
      const result = runSync('sh', ['-c', 'echo out; echo err >&2'], { stdio: ['pipe', 'pipe', 'ignore'] });
      expect(result).toMatchObject({ stdout: 'out\n', stderr: '' });
    }));
});

describe('runSync: failures', () => {
  it('throws a RunError for a non-zero exit and for a signal, with the whole result', () =>
    expectNoLeaks(() => {
      const exited = thrownBy(RunError, () => runSync('sh', ['-c', 'echo partial; exit 3']));
      expect(exited).toMatchObject({ code: 'ERR_EXIT_CODE', exitCode: 3, stdout: 'partial\n', command: "sh -c 'echo partial; exit 3'" });
      expect(exited.message).toBe("Command failed with exit code 3: sh -c 'echo partial; exit 3'");
      const killed = thrownBy(RunError, () => runSync('sh', ['-c', 'kill -TERM $$']));
      expect(killed).toMatchObject({ code: 'ERR_SIGNAL', signal: 'SIGTERM', exitCode: null });
    }));

  it('throws the SpawnError spawn() throws, with the failing step, and leaves no zombie', () =>
    expectNoLeaks(() => {
      const missing = thrownBy(SpawnError, () => runSync('no-such-program-run-sync'));
      expect(missing).toMatchObject({ code: 'ENOENT', childStep: 'execvp', syscall: 'spawn no-such-program-run-sync' });
      const badCwd = thrownBy(SpawnError, () => runSync('pwd', { cwd: '/nonexistent-run-sync' }));
      expect(badCwd).toMatchObject({ code: 'ENOENT', childStep: 'chdir' });
    }));

  it('rejects options that cannot work synchronously before any process exists', () => {
    const before = childProcesses().length;
    expect(() => runSync('cat', { signal: new AbortController().signal } as never)).toThrow(TypeError);
    expect(() => runSync('cat', { input: Readable.from(['x']) } as never)).toThrow(TypeError);
    expect(() => runSync('cat', { input: 'x', stdio: ['ignore', 'pipe', 'pipe'] })).toThrow(TypeError);
    expect(() => runSync('cat', { timeout: -1 })).toThrow(RangeError);
    expect(childProcesses()).toHaveLength(before);
  });
});

describe('runSync: ending the child', () => {
  it('ends it on timeout with killSignal', () =>
    expectNoLeaks(() => {
      const error = thrownBy(RunError, () => runSync('sleep', ['30'], { timeout: 100 }));
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timedOut: true, signal: 'SIGTERM' });
      expect(error.durationMs).toBeLessThan(5000);
      const interrupted = thrownBy(RunError, () => runSync('sleep', ['30'], { timeout: 50, killSignal: 'SIGINT' }));
      expect(interrupted.signal).toBe('SIGINT');
    }));

  it('sends SIGKILL after killGrace to a child that ignores killSignal', () =>
    expectNoLeaks(() => {
      // exec: the shell becomes the sleep, so no grandchild holds the pipes.
      const error = thrownBy(RunError, () => runSync('sh', ['-c', 'trap "" TERM; echo ready; exec sleep 30'], { timeout: 100, killGrace: 100 }));
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', signal: 'SIGKILL', stdout: 'ready\n' });
    }));

  it('returns once the child is reaped even when a grandchild holds its pipes open', () =>
    expectNoLeaks(async () => {
      // The grandchild writes its own pid, to be killed once the run is over; the shell becomes the
      // other sleep (`exec`), which the timeout kills.
      const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-run-sync-'));
      const pidFile = path.join(directory, 'grandchild.pid');
      try {
        const started = Date.now();
        const error = thrownBy(RunError, () => runSync('sh', ['-c', `sh -c "echo \\$\\$ > ${pidFile}; exec sleep 3" & exec sleep 3`], { timeout: 100 }));
        expect(error.code).toBe('ERR_TIMEOUT');
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await killByPidFile(pidFile);
        rmSync(directory, { recursive: true, force: true });
      }
    }));

  it('keeps exactly maxBuffer bytes of the stream that overflowed and ends the child', () =>
    expectNoLeaks(() => {
      const error = thrownBy(RunError, () => runSync('yes', { maxBuffer: 1000 }));
      expect(error).toMatchObject({ code: 'ERR_MAX_BUFFER', signal: 'SIGTERM' });
      expect(error.stdout).toHaveLength(1000);
      expect(error.message).toContain('stdout exceeded maxBuffer of 1000 bytes');
      const stderr = thrownBy(RunError, () => runSync('sh', ['-c', 'echo fits; exec yes >&2'], { maxBuffer: 10 }));
      expect(stderr).toMatchObject({ stdout: 'fits\n', stderr: 'y\n'.repeat(5) });
    }));
});

describe('runSync and the async reaper', () => {
  it('never hands its child to the reaper, and an async child running meanwhile keeps its own exit', () =>
    expectNoLeaks(async () => {
      const asyncChild = spawn('sh', ['-c', 'sleep 0.05; exit 7'], { stdio: 'ignore' });
      // The async child exits (and is left a zombie for the reaper) while runSync blocks.
      const result = runSync('sh', ['-c', 'sleep 0.3; exit 5'], { reject: false });
      expect(result.exitCode).toBe(5);
      expect(reaper.tracksPid(result.pid)).toBe(false);
      expect(reaper.tracksPid(asyncChild.pid)).toBe(true);
      const exit = await asyncChild.exited;
      expect(exit).toMatchObject({ exitCode: 7, status: 7 << 8 });
      expect(zombieChildren()).toEqual([]);
    }));

  it('does not reap an async child that is still running when it returns', () =>
    expectNoLeaks(async () => {
      const asyncChild = spawn('sleep', ['0.3'], { stdio: 'ignore' });
      for (let i = 0; i < 20; i++) expect(runSync('true').exitCode).toBe(0);
      expect((await asyncChild.exited).exitCode).toBe(0);
    }));

  it('runs inside an exit listener of an async child', () =>
    expectNoLeaks(async () => {
      const asyncChild = spawn('true', { stdio: 'ignore' });
      const inner = await new Promise<string>((resolve) => asyncChild.once('exit', () => resolve(runSync('echo', ['inner']).stdout)));
      expect(inner).toBe('inner\n');
    }));
});

describe('runSync: interrupted system calls', () => {
  it('keeps every byte and the status while signals keep interrupting its poll', () =>
    expectNoLeaks(async () => {
      let received = 0;
      const count = (): void => {
        received++;
      };
      process.on('SIGUSR2', count);
      try {
        // The child signals us 200 times while it writes, then exits 4.
        const script = `i=0; while [ $i -lt 200 ]; do kill -USR2 ${process.pid}; echo line$i; i=$((i+1)); done; exit 4`;
        const result = runSync('sh', ['-c', script], { reject: false });
        expect(result.exitCode).toBe(4);
        expect(result.stdout.split('\n')).toHaveLength(201);
        // Node runs the handler once the event loop turns again: the signals did arrive.
        await eventually(() => expect(received).toBeGreaterThan(0));
      } finally {
        process.off('SIGUSR2', count);
      }
    }));

  it.skipIf(!hasStrace)('survives EINTR from poll and from the reap through the pidfd (injected with strace)', () =>
    expectNoLeaks(() => {
      const script = `
        const { runSync } = require(${JSON.stringify(path.resolve('dist/index.js'))});
        const fds = () => require('fs').readdirSync('/proc/self/fd').length;
        const before = fds();
        const plain = runSync('cat', { input: 'abc' });
        const timedOut = (() => { try { runSync('sleep', ['30'], { timeout: 100 }); } catch (e) { return e.code; } })();
        console.log(JSON.stringify({ stdout: plain.stdout, exitCode: plain.exitCode, timedOut, fdsKept: fds() - before }));
      `;
      const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
      const directory = mkdtempSync(path.join(tmpdir(), 'run-sync-strace-'));
      const trace = path.join(directory, 'trace');
      const traced = spawnSync(
        'strace',
        ['-f', '-qq', '-o', trace, '-e', 'trace=poll,waitid',
          '-e', 'inject=poll:error=EINTR:when=1..6', '-e', 'inject=waitid:error=EINTR:when=1..3',
          process.execPath, '-e', script],
        { encoding: 'utf8', env },
      );
      expect(traced.stderr).toBe('');
      expect(JSON.parse(traced.stdout)).toEqual({ stdout: 'abc', exitCode: 0, timedOut: 'ERR_TIMEOUT', fdsKept: 0 });
      const text = readFileSync(trace, 'utf8');
      rmSync(directory, { recursive: true, force: true });
      expect(text).toMatch(/poll\(.*EINTR.*\(INJECTED\)/);
      expect(text).toMatch(/waitid\(P_PIDFD, \d+.*EINTR.*\(INJECTED\)/);
    }));
});

describe('docs/child_process-sync.md', () => {
  // Each ```js block runs from the repository and prints the ```text block that follows it.
  const text = readFileSync(path.join(__dirname, '..', '..', 'docs', 'child_process-sync.md'), 'utf8');
  const examples = [...text.matchAll(/```js\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/g)].map((match) => [match[1] ?? '', match[2] ?? ''] as const);
  it('has examples', () => expect(examples.length).toBe(2));
  it.each(examples)('runs %s', (code, expected) =>
    expectNoLeaks(() => {
      const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
      const result = runSync(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..', '..'), env });
      expect(result.stdout).toBe(expected);
    }),
  );
});
