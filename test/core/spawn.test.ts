// spawn(): options, the exec PATH search, and every error with Node's shape.
import { chmodSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getSystemErrorName } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, SpawnError } from '../../src/index';
import { childProcesses, countOpenFds, expectNoLeaks } from '../helpers/leaks';
import { finish } from '../helpers/collect';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'spawn-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function spawnError(run: () => unknown): SpawnError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SpawnError);
    return error as SpawnError;
  }
  throw new Error('expected spawn to throw');
}

describe('running programs', () => {
  it('runs echo and reports a clean exit', () =>
    expectNoLeaks(async () => {
      const result = await finish(spawn('echo', ['hello', 'world']));
      expect(result.stdout).toBe('hello world\n');
      expect(result.exit).toMatchObject({ exitCode: 0, signal: null, coreDumped: false, status: 0 });
      expect(result.close).toEqual([0, null]);
    }));

  it('passes the exit status through, raw and decoded', () =>
    expectNoLeaks(async () => {
      for (const code of [1, 42, 255]) {
        const { exit } = await finish(spawn('sh', ['-c', `exit ${code}`]));
        expect(exit.exitCode).toBe(code);
        expect(exit.status).toBe(code << 8);
      }
    }));

  it('passes arguments verbatim, without a shell', () =>
    expectNoLeaks(async () => {
      const args = ['a b', '$HOME', '*', "'quoted'", '', 'ünïcødé'];
      const { stdout } = await finish(spawn('printf', ['%s\\n', ...args]));
      expect(stdout).toBe(args.map((arg) => `${arg}\n`).join(''));
    }));

  it('gives the child the env option as its whole environment', () =>
    expectNoLeaks(async () => {
      const { stdout } = await finish(spawn('/usr/bin/env', [], { env: { ONLY: 'this', NUMBER: 7 as unknown as string } }));
      expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['NUMBER=7', 'ONLY=this']);
    }));

  it('inherits process.env by default, including later changes', () =>
    expectNoLeaks(async () => {
      process.env['PROCESS_SPAWNER_TEST'] = 'visible';
      try {
        const { stdout } = await finish(spawn('sh', ['-c', 'echo "$PROCESS_SPAWNER_TEST"']));
        expect(stdout).toBe('visible\n');
      } finally {
        delete process.env['PROCESS_SPAWNER_TEST'];
      }
    }));

  it('searches the env option\'s PATH, not the parent\'s', () =>
    expectNoLeaks(async () => {
      const bin = path.join(scratch, 'bin');
      rmSync(bin, { recursive: true, force: true });
      writeFileSync(path.join(scratch, 'placeholder'), '');
      const script = path.join(scratch, 'only-here');
      writeFileSync(script, '#!/bin/sh\necho found me\n');
      chmodSync(script, 0o755);
      const { stdout } = await finish(spawn('only-here', [], { env: { PATH: `/nonexistent:${scratch}` } }));
      expect(stdout).toBe('found me\n');
      expect(spawnError(() => spawn('only-here')).code).toBe('ENOENT');
    }));

  it('runs in the cwd option, given as a path or a file URL', () =>
    expectNoLeaks(async () => {
      expect((await finish(spawn('pwd', [], { cwd: scratch }))).stdout).toBe(`${scratch}\n`);
      expect((await finish(spawn('pwd', [], { cwd: pathToFileURL(scratch) }))).stdout).toBe(`${scratch}\n`);
    }));
});

describe('stdio', () => {
  it("connects 'ignore' to /dev/null and leaves the other slots piped", () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'readlink /proc/self/fd/0; readlink /proc/self/fd/2'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(child.stdin).toBeNull();
      expect(child.stderr).toBeNull();
      expect((await finish(child)).stdout).toBe('/dev/null\n/dev/null\n');
    }));

  it('passes fd numbers, so output can go straight to a file', () =>
    expectNoLeaks(async () => {
      const file = path.join(scratch, 'out.txt');
      const fd = openSync(file, 'w');
      try {
        const child = spawn('sh', ['-c', 'echo to-file; echo to-err >&2'], { stdio: ['ignore', fd, fd] });
        expect(child.stdout).toBeNull();
        await child.exited;
      } finally {
        closeSync(fd);
      }
      expect(readFileSync(file, 'utf8')).toBe('to-file\nto-err\n');
    }));

  it('keeps the parent\'s ends non-blocking and hands the child blocking ones', () =>
    expectNoLeaks(async () => {
      // fdinfo "flags" are octal; O_NONBLOCK is 04000.
      const child = spawn('sh', ['-c', 'for fd in 0 1 2; do grep flags /proc/self/fdinfo/$fd; done']);
      const parentFlags = (child.stdout as unknown as { _handle: { fd: number } })._handle.fd;
      const ours = readFileSync(`/proc/self/fdinfo/${parentFlags}`, 'utf8').match(/flags:\s+(\d+)/)?.[1];
      expect(Number.parseInt(ours ?? '0', 8) & 0o4000).toBe(0o4000);
      child.stdin?.end();
      const lines = (await finish(child)).stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      for (const line of lines) expect(Number.parseInt(line.split(/\s+/)[1] ?? '', 8) & 0o4000).toBe(0);
    }));

  it('clears O_NONBLOCK on an inherited fd only in the stdio slots, as libuv does', () =>
    expectNoLeaks(async () => {
      // The flag belongs to the open file, which the child shares with us. In slots 0-2 the
      // program expects blocking stdio; above them (a listening socket handed to a pre-fork
      // worker) clearing it would make our own accept() block.
      const nonBlocking = (fd: number): boolean =>
        (Number.parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8) & 0o4000) !== 0;
      const asStdin = openSync('/dev/null', constants.O_RDONLY | constants.O_NONBLOCK);
      const asFd3 = openSync('/dev/null', constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const child = spawn('sh', ['-c', 'grep flags /proc/self/fdinfo/0 /proc/self/fdinfo/3'], { stdio: [asStdin, 'pipe', 'inherit', asFd3] });
        const lines = (await finish(child)).stdout.trim().split('\n');
        const childFlags = lines.map((line) => Number.parseInt(line.split(/\s+/)[1] ?? '', 8) & 0o4000);
        expect(childFlags).toEqual([0, 0o4000]);
        expect({ stdin: nonBlocking(asStdin), fd3: nonBlocking(asFd3) }).toEqual({ stdin: false, fd3: true });
      } finally {
        closeSync(asStdin);
        closeSync(asFd3);
      }
    }));

  it('starts the child with no signal ignored, blocked or caught', () =>
    expectNoLeaks(async () => {
      // Node ignores SIGPIPE and the test runner may block signals: none of it may leak through.
      // cat installs no handler of its own, so SigCgt shows only what it inherited.
      const { stdout } = await finish(spawn('cat', ['/proc/self/status']));
      const masks = stdout.split('\n').filter((line) => /^Sig(Ign|Blk|Cgt):/.test(line));
      expect(masks).toEqual(['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000', 'SigCgt:\t0000000000000000']);
    }));
});

describe('errors', () => {
  it('reports a missing program as ENOENT from execvp, exit status 127', () =>
    expectNoLeaks(() => {
      const error = spawnError(() => spawn('./definitely-not-here', ['--x']));
      expect(error).toMatchObject({
        name: 'SpawnError',
        code: 'ENOENT',
        errno: -2,
        syscall: 'spawn ./definitely-not-here',
        path: './definitely-not-here',
        spawnargs: ['--x'],
        childStep: 'execvp',
        exitCode: 127,
      });
      expect(getSystemErrorName(error.errno)).toBe('ENOENT');
      expect(error.message).toBe('spawn ./definitely-not-here ENOENT (execvp)');
    }));

  it('reports a program missing from every PATH entry as ENOENT', () =>
    expectNoLeaks(() => {
      expect(spawnError(() => spawn('no-such-program-anywhere')).code).toBe('ENOENT');
    }));

  it('reports a file without execute permission as EACCES, exit status 126', () =>
    expectNoLeaks(() => {
      const file = path.join(scratch, 'not-executable');
      writeFileSync(file, '#!/bin/sh\necho no\n');
      chmodSync(file, 0o644);
      expect(spawnError(() => spawn(file))).toMatchObject({ code: 'EACCES', childStep: 'execvp', exitCode: 126 });
    }));

  it('reports an executable that is not a program as ENOEXEC, exit status 126', () =>
    expectNoLeaks(() => {
      const file = path.join(scratch, 'garbage');
      writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
      chmodSync(file, 0o755);
      expect(spawnError(() => spawn(file))).toMatchObject({ code: 'ENOEXEC', childStep: 'execvp', exitCode: 126 });
    }));

  it('reports a directory as EACCES', () =>
    expectNoLeaks(() => {
      expect(spawnError(() => spawn(scratch))).toMatchObject({ code: 'EACCES', exitCode: 126 });
    }));

  it('reports a missing cwd as ENOENT from chdir, exit status 127', () =>
    expectNoLeaks(() => {
      const missing = path.join(scratch, 'missing-dir');
      const error = spawnError(() => spawn('true', [], { cwd: missing }));
      expect(error).toMatchObject({ code: 'ENOENT', childStep: 'chdir', exitCode: 127, syscall: 'spawn true' });
      expect(error.message).toContain(missing);
    }));

  it('reports a bad fd in stdio as EBADF from dup2', () =>
    expectNoLeaks(() => {
      expect(spawnError(() => spawn('true', [], { stdio: ['ignore', 987, 'ignore'] }))).toMatchObject({
        code: 'EBADF',
        childStep: 'dup2',
        exitCode: 126,
      });
    }));

  it.each([
    ['a non-string file', () => spawn(42 as unknown as string), TypeError, /file to be a string, got `42` \(number\)/],
    ['an empty file', () => spawn(''), RangeError, /non-empty/],
    ['a NUL byte in the file', () => spawn('a\0b'), TypeError, /null bytes/],
    ['non-array arguments', () => spawn('echo', 'x' as unknown as string[]), TypeError, /options to be an object/],
    ['a non-string argument', () => spawn('echo', [1 as unknown as string]), TypeError, /argument 0 to be a string/],
    ['a NUL byte in an argument', () => spawn('echo', ['a\0']), TypeError, /argument 0 to contain no null bytes/],
    ['a bad cwd', () => spawn('true', [], { cwd: 5 as unknown as string }), TypeError, /`cwd` option/],
    ['a non-object env', () => spawn('true', [], { env: 'x' as unknown as Record<string, string> }), TypeError, /`env` option/],
    ['an env key with =', () => spawn('true', [], { env: { 'A=B': 'c' } }), TypeError, /without '='/],
    ['a NUL byte in env', () => spawn('true', [], { env: { A: 'b\0' } }), TypeError, /null bytes/],
    ['a bad stdio string', () => spawn('true', [], { stdio: 'pipes' as 'pipe' }), TypeError, /`stdio\[0\]`/],
    ['a negative stdio fd', () => spawn('true', [], { stdio: ['pipe', -1, 'pipe'] }), TypeError, /`stdio\[1\]`/],
    ['too many stdio slots', () => spawn('true', [], { stdio: Array(257).fill('ignore') }), RangeError, /at most 256/],
  ])('rejects %s before any syscall', (_name, run, type, message) => {
    const fdsBefore = countOpenFds();
    const childrenBefore = childProcesses().length;
    expect(run).toThrow(type);
    expect(run).toThrow(message);
    expect(countOpenFds()).toBe(fdsBefore);
    expect(childProcesses()).toHaveLength(childrenBefore);
  });
});


describe('parent-side failures', () => {
  // clone3 EAGAIN (and EPERM, ENOSYS) in the spawn itself: test/faults/inject.test.ts, whose
  // strace attaches only around the spawn, so glibc's own clone3 calls for threads are not hit.

  it('reports pipe2 EMFILE when the fd limit is reached, and leaks nothing', () =>
    expectNoLeaks(async () => {
      // A real fd limit, set with prlimit on a child Node process that then spawns.
      const script = `
        const { spawn } = require(${JSON.stringify(path.resolve('dist/index.js'))});
        const fs = require('fs');
        const held = [];
        try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch {}
        // Leave room for the reaper's self-pipe and one stdio pipe, not for all four pipes.
        for (let i = 0; i < 5; i++) fs.closeSync(held.pop());
        try { spawn('true'); console.log('no error'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, errno: e.errno })); }
      `;
      const child = spawn('prlimit', ['--nofile=64', '--', process.execPath, '-e', script]);
      const { stdout, exit } = await finish(child);
      expect(exit.exitCode).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ code: 'EMFILE', syscall: 'pipe2', errno: -24 });
    }));
});
