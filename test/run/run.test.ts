// run(): output, input, how the child ended, and the ways we end it (timeout, maxBuffer, abort).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ProcessSpawnerError, SpawnError } from '../../src/index';
import { RunError } from '../../src/run/errors';
import { run, type RunResult } from '../../src/run/run';
import { eventually, expectNoLeaks, killByPidFile } from '../helpers/leaks';

const MiB = 1024 * 1024;

/** The RunError a run rejected with; fails the test when it resolved or rejected otherwise. */
async function runError(promise: Promise<unknown>): Promise<RunError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RunError);
  return error as RunError;
}

describe('run: output', () => {
  it('captures stdout and stderr as strings, with how the child ended', () =>
    expectNoLeaks(async () => {
      const result = await run('sh', ['-c', 'echo out; echo err >&2']);
      expectTypeOf(result.stdout).toEqualTypeOf<string>();
      expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 0, signal: null, coreDumped: false });
      expect(result.pid).toBeGreaterThan(0);
      expect(result.durationMs).toBeGreaterThan(0);
      expect(Object.keys(result.rusage ?? {})).toContain('maxRssKiB');
      expect(result.rusage?.maxRssKiB).toBeGreaterThan(0);
    }));

  it("gives Buffers with encoding: 'buffer', all 256 byte values intact", () =>
    expectNoLeaks(async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const result = await run('cat', [], { input: bytes, encoding: 'buffer' });
      expectTypeOf(result).toEqualTypeOf<RunResult<Buffer>>();
      expect(Buffer.isBuffer(result.stdout)).toBe(true);
      expect(result.stdout.equals(bytes)).toBe(true);
      expect(result.stderr).toEqual(Buffer.alloc(0));
    }));

  it('decodes a character whose bytes arrive in two reads', () =>
    expectNoLeaks(async () => {
      const result = await run('sh', ['-c', "printf '\\342'; sleep 0.1; printf '\\202\\254\\n'"]);
      expect(result.stdout).toBe('€\n');
    }));

  it('takes the options without the arguments', () =>
    expectNoLeaks(async () => {
      expect((await run('pwd', { cwd: '/' })).stdout).toBe('/\n');
    }));

  it('ends stdin at once when there is no input, so cat does not wait', () =>
    expectNoLeaks(async () => {
      expect(await run('cat')).toMatchObject({ stdout: '', exitCode: 0 });
    }));

  it('gives an empty output for a slot that is not a pipe', () =>
    expectNoLeaks(async () => {
      const result = await run('sh', ['-c', 'echo lost; echo kept >&2'], { stdio: ['pipe', 'ignore', 'pipe'] });
      expect(result).toMatchObject({ stdout: '', stderr: 'kept\n' });
    }));
});

describe('run: input', () => {
  it('writes a string input to stdin and ends it', () =>
    expectNoLeaks(async () => {
      expect((await run('tr', ['a-z', 'A-Z'], { input: 'hello\n' })).stdout).toBe('HELLO\n');
    }));

  it('writes a Uint8Array input', () =>
    expectNoLeaks(async () => {
      expect((await run('wc', ['-c'], { input: new Uint8Array(1000) })).stdout.trim()).toBe('1000');
    }));

  it('pipes 16 MiB from a Readable through cat intact', () =>
    expectNoLeaks(async () => {
      const payload = randomBytes(16 * MiB);
      const chunks = Array.from({ length: 16 }, (_, i) => payload.subarray(i * MiB, (i + 1) * MiB));
      const result = await run('cat', [], { input: Readable.from(chunks), encoding: 'buffer' });
      expect(result.stdout.length).toBe(payload.length);
      expect(result.stdout.equals(payload)).toBe(true);
    }));

  it('is not a failure when the child exits without reading all of the input (EPIPE)', () =>
    expectNoLeaks(async () => {
      expect(await run('head', ['-c', '1'], { input: Buffer.alloc(8 * MiB, 'x') })).toMatchObject({ stdout: 'x', exitCode: 0 });
      // An input that never ends is destroyed once the child has gone, so a file behind it is closed.
      const input = new Readable({ read() {} });
      input.push(Buffer.alloc(MiB));
      expect((await run('true', [], { input })).exitCode).toBe(0);
      expect(input.destroyed).toBe(true);
    }));

  it('ends the child and rejects with ERR_STREAM when the input stream fails', () =>
    expectNoLeaks(async () => {
      const failure = new Error('disk on fire');
      const input = new Readable({ read() {} });
      input.push('first\n');
      setImmediate(() => input.destroy(failure));
      const error = await runError(run('cat', [], { input }));
      expect(error).toMatchObject({ code: 'ERR_STREAM', signal: 'SIGTERM', cause: failure });
      expect(error.message).toBe('Command was killed with SIGTERM (input failed): cat');
    }));
});

describe('run: failures', () => {
  it('rejects a non-zero exit with a RunError carrying the whole result', () =>
    expectNoLeaks(async () => {
      const error = await runError(run('sh', ['-c', 'echo out; echo err >&2; exit 3']));
      expect(error.message).toBe(`Command failed with exit code 3: sh -c 'echo out; echo err >&2; exit 3'`);
      expect(error).toBeInstanceOf(ProcessSpawnerError);
      expect(error).toMatchObject({
        name: 'RunError',
        code: 'ERR_EXIT_CODE',
        command: `sh -c 'echo out; echo err >&2; exit 3'`,
        stdout: 'out\n',
        stderr: 'err\n',
        exitCode: 3,
        signal: null,
        coreDumped: false,
        timedOut: false,
        aborted: false,
      });
      expect(error.pid).toBeGreaterThan(0);
      expect(error.rusage?.maxRssKiB).toBeGreaterThan(0);
      expect(Object.hasOwn(error, 'name')).toBe(false);
    }));

  it('rejects a child ended by a signal, without a core when cores are off', () =>
    expectNoLeaks(async () => {
      const error = await runError(run('sh', ['-c', 'ulimit -c 0; kill -QUIT $$']));
      expect(error).toMatchObject({ code: 'ERR_SIGNAL', exitCode: null, signal: 'SIGQUIT', coreDumped: false });
      expect(error.message).toBe(`Command was killed with SIGQUIT: sh -c 'ulimit -c 0; kill -QUIT $$'`);
    }));

  const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  // With a pipe pattern the cores go to a helper program, which may or may not take them.
  it.skipIf(corePattern.startsWith('|'))('reports coreDumped when the kernel writes a core', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'run-core-'));
    try {
      await expectNoLeaks(async () => {
        const error = await runError(run('sh', ['-c', 'ulimit -c unlimited && kill -QUIT $$'], { cwd: dir }));
        expect(error).toMatchObject({ signal: 'SIGQUIT', coreDumped: true });
        expect(error.message).toBe(`Command was killed with SIGQUIT (core dumped): sh -c 'ulimit -c unlimited && kill -QUIT $$'`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves with the result instead with reject: false', () =>
    expectNoLeaks(async () => {
      expect(await run('sh', ['-c', 'echo partial; exit 3'], { reject: false })).toMatchObject({ stdout: 'partial\n', exitCode: 3 });
      expect(await run('sh', ['-c', 'kill -KILL $$'], { reject: false })).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    }));

  it('rejects, never throws, with the SpawnError of a program that cannot be run', () =>
    expectNoLeaks(async () => {
      let promise: Promise<unknown> = Promise.resolve();
      expect(() => (promise = run('./no-such-program', ['--flag']))).not.toThrow();
      const error: unknown = await promise.catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(SpawnError);
      expect(error).toMatchObject({
        message: 'spawn ./no-such-program ENOENT (execvp)',
        code: 'ENOENT',
        errno: -2,
        syscall: 'spawn ./no-such-program',
        path: './no-such-program',
        spawnargs: ['--flag'],
        childStep: 'execvp',
        exitCode: 127,
      });
    }));
});

describe('run: option validation', () => {
  let dir: string;
  let marker: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'run-options-'));
    marker = path.join(dir, 'spawned');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [{ timeout: -1 }, RangeError, 'Expected the `timeout` option to be an integer between 0 and 2147483647, got `-1` (number)'],
    [{ timeout: 1.5 }, TypeError, 'Expected the `timeout` option to be an integer between 0 and 2147483647, got `1.5` (number)'],
    [{ killGrace: 2 ** 31 }, RangeError, 'Expected the `killGrace` option to be an integer between 0 and 2147483647'],
    [{ killSignal: 'SIGNOPE' }, TypeError, "Expected the `killSignal` option to be a signal name like 'SIGTERM'"],
    [{ killSignal: 0 }, RangeError, 'Expected the `killSignal` option to be a signal that can end a process'],
    [{ maxBuffer: '1' }, TypeError, 'Expected the `maxBuffer` option to be an integer between 0 and 9007199254740991, got `"1"` (string)'],
    [{ encoding: 'latin1' }, TypeError, "Expected the `encoding` option to be 'utf8' or 'buffer', got `\"latin1\"` (string)"],
    [{ reject: 'no' }, TypeError, 'Expected the `reject` option to be a boolean'],
    [{ signal: {} }, TypeError, 'Expected the `signal` option to be an AbortSignal, got `[object Object]` (object)'],
    [{ input: 5 }, TypeError, 'Expected the `input` option to be a string, a Buffer, a Uint8Array or a Readable, got `5` (number)'],
    [{ input: 'x', stdio: ['ignore', 'pipe', 'pipe'] }, TypeError, "Expected `stdio[0]` to be 'pipe' when the `input` option is given"],
    [{ cwd: 5 }, TypeError, 'Expected the `cwd` option to be a non-empty string or a file URL, got `5` (number)'],
    ['nope', TypeError, 'Expected the options to be an object, got `"nope"` (string)'],
  ])('rejects %j before spawning anything', (options, type, message) =>
    expectNoLeaks(async () => {
      let promise: Promise<unknown> = Promise.resolve();
      expect(() => (promise = run('sh', ['-c', `touch ${marker}`], options as never))).not.toThrow();
      const error: unknown = await promise.catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toContain(message);
      expect(existsSync(marker)).toBe(false);
    }),
  );
});

describe('run: timeout', () => {
  it('ends the child with SIGTERM when that suffices', () =>
    expectNoLeaks(async () => {
      const error = await runError(run('sleep', ['30'], { timeout: 100 }));
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timedOut: true, aborted: false, signal: 'SIGTERM', exitCode: null });
      expect(error.message).toBe('Command was killed with SIGTERM (timed out after 100 ms): sleep 30');
    }));

  it('sends the killSignal asked for', () =>
    expectNoLeaks(async () => {
      const error = await runError(run('sleep', ['30'], { timeout: 50, killSignal: 'SIGINT' }));
      expect(error).toMatchObject({ timedOut: true, signal: 'SIGINT' });
    }));

  it('escalates to SIGKILL after killGrace for a child that ignores SIGTERM, and does not wait for its grandchild', () =>
    expectNoLeaks(async () => {
      // The shell ignores SIGTERM and its background sleep inherits that; the sleep also holds our
      // pipes open after the shell is gone. Only a run where the trap was in place before SIGTERM
      // came (it printed "ready") shows the escalation, so a slow start is retried, longer. The
      // sleep writes its own pid, so that one whose shell was killed before saying so is killed too.
      const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-run-'));
      const pidFile = path.join(directory, 'sleeper.pid');
      const script = `trap "" TERM; sh -c "echo \\$\\$ > ${pidFile}; exec sleep 30" & echo "ready $!"; wait`;
      try {
        for (let timeout = 500; ; timeout *= 4) {
          const error = await runError(run('sh', ['-c', script], { timeout, killGrace: 100 }));
          const sleeper = /^ready (\d+)$/m.exec(String(error.stdout));
          try {
            if (sleeper === null && timeout < 8000) continue;
            expect(sleeper, `stdout: ${String(error.stdout)}`).not.toBeNull();
            expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timedOut: true, signal: 'SIGKILL', exitCode: null });
            expect(error.message).toBe(`Command was killed with SIGKILL (timed out after ${timeout} ms): sh -c '${script}'`);
            // The run settled while the orphaned sleep still held the pipes.
            expect(() => process.kill(Number(sleeper?.[1]), 0)).not.toThrow();
          } finally {
            await killByPidFile(pidFile);
          }
          return;
        }
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    }));

  it('does not fire once the run is over', () =>
    expectNoLeaks(async () => {
      expect((await run('true', [], { timeout: 30_000 })).exitCode).toBe(0);
    }));
});

describe('run: maxBuffer', () => {
  it('ends the child and rejects with what was read up to the limit', () =>
    expectNoLeaks(async () => {
      const error = await runError(run('yes', ['line'], { maxBuffer: 1000 }));
      expect(error).toMatchObject({ code: 'ERR_MAX_BUFFER', signal: 'SIGTERM', timedOut: false });
      expect(error.stdout).toBe('line\n'.repeat(200));
      expect(error.message).toBe('Command was killed with SIGTERM (stdout exceeded maxBuffer of 1000 bytes): yes line');
    }));

  it('counts each stream on its own, in bytes', () =>
    expectNoLeaks(async () => {
      const error = await runError(run('sh', ['-c', 'echo small; exec yes err >&2'], { maxBuffer: 10, encoding: 'buffer' }));
      expect(error).toMatchObject({ code: 'ERR_MAX_BUFFER', stdout: Buffer.from('small\n') });
      expect(error.stderr).toEqual(Buffer.from('err\nerr\ner'));
      expect(error.message).toContain('(stderr exceeded maxBuffer of 10 bytes)');
    }));

  it('accepts an output of exactly maxBuffer bytes', () =>
    expectNoLeaks(async () => {
      expect((await run('printf', ['12345'], { maxBuffer: 5 })).stdout).toBe('12345');
    }));
});

describe('run: AbortSignal', () => {
  it('rejects with the reason of a signal aborted before the start, and spawns nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'run-abort-'));
    try {
      await expectNoLeaks(async () => {
        const reason = new Error('not today');
        const promise = run('touch', [path.join(dir, 'spawned')], { signal: AbortSignal.abort(reason) });
        await expect(promise).rejects.toBe(reason);
        await expect(run('true', [], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
        expect(existsSync(path.join(dir, 'spawned'))).toBe(false);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends a running child and rejects with ABORT_ERR, the output so far and the reason as cause', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'run-abort-'));
    const started = path.join(dir, 'started');
    try {
      await expectNoLeaks(async () => {
        const controller = new AbortController();
        const script = `echo partial; touch ${started}; exec sleep 30`;
        const promise = run('sh', ['-c', script], { signal: controller.signal });
        await eventually(() => expect(existsSync(started)).toBe(true), 10_000);
        const reason = new Error('user pressed stop');
        controller.abort(reason);
        const error = await runError(promise);
        expect(error).toMatchObject({ code: 'ABORT_ERR', aborted: true, timedOut: false, signal: 'SIGTERM', stdout: 'partial\n' });
        expect(error.cause).toBe(reason);
        expect(error.message).toBe(`Command was killed with SIGTERM (aborted): sh -c '${script}'`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no listener on a long-lived signal', () =>
    expectNoLeaks(async () => {
      const controller = new AbortController();
      for (let i = 0; i < 3; i++) await run('true', [], { signal: controller.signal });
      await run('false', [], { signal: controller.signal, reject: false });
      expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    }));
});
