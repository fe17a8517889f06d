// Subprocess: streams, the duplex, signals, exit information and the events around them.
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { expectNoLeaks } from '../helpers/leaks';
import { finish, readAll } from '../helpers/collect';

const MiB = 1024 * 1024;

describe('streams', () => {
  it('round-trips all 256 byte values through cat', () =>
    expectNoLeaks(async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const child = spawn('cat');
      child.stdin?.end(bytes);
      expect((await readAll(child.stdout)).equals(bytes)).toBe(true);
      expect((await child.exited).exitCode).toBe(0);
    }));

  it("'socket' makes fd 0 a socketpair: one Duplex that the child both reads and writes", () =>
    expectNoLeaks(async () => {
      // The child answers on its stdin (fd 0 opened read-write), which only a socket allows.
      const child = spawn('sh', ['-c', 'read line; echo "got $line" >&0; stat -L -c %F /dev/stdin >&2'], { stdio: ['socket', 'ignore', 'pipe'] });
      const socket = child.stdin as unknown as Readable & Writable;
      socket.write('hello\n');
      const [answer, stderr] = await Promise.all([readAll(socket), readAll(child.stderr)]);
      expect(answer.toString()).toBe('got hello\n');
      expect(stderr.toString()).toBe('socket\n');
      expect((await child.exited).exitCode).toBe(0);
    }));

  it('round-trips 16 MiB through cat intact', () =>
    expectNoLeaks(async () => {
      const payload = randomBytes(16 * MiB);
      const child = spawn('cat');
      const [output] = await Promise.all([readAll(child.stdout), pipeline(Readable.from([payload]), child.stdin as Writable)]);
      expect(output.length).toBe(payload.length);
      expect(output.equals(payload)).toBe(true);
      expect((await child.exited).exitCode).toBe(0);
    }));

  it('does not deadlock when the child writes 8 MiB back before reading our 8 MiB', () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'head -c 8388608 /dev/zero; wc -c >&2']);
      child.stdin?.end(Buffer.alloc(8 * MiB, 1));
      const result = await finish(child);
      expect(result.stdout.length).toBe(8 * MiB);
      expect(result.stderr.trim()).toBe(String(8 * MiB));
      expect(result.exit.exitCode).toBe(0);
    }));

  it('pipes through the duplex: source.pipe(child.duplex).pipe(sink)', () =>
    expectNoLeaks(async () => {
      const child = spawn('tr', ['a-z', 'A-Z']);
      const sink = new PassThrough();
      Readable.from(['hello ', 'duplex\n']).pipe(child.duplex).pipe(sink);
      expect((await readAll(sink)).toString()).toBe('HELLO DUPLEX\n');
      await child.exited;
    }));

  it('gives EPIPE on stdin when writing to a child that has exited, and the parent carries on', () =>
    expectNoLeaks(async () => {
      const child = spawn('head', ['-c', '1'], { stdio: ['pipe', 'ignore', 'ignore'] });
      const failed = new Promise<NodeJS.ErrnoException>((resolve) => child.stdin?.once('error', resolve));
      child.stdin?.write(Buffer.alloc(8 * MiB));
      const error = await failed;
      expect(error.code).toBe('EPIPE');
      expect((await child.exited).exitCode).toBe(0);
    }));

  it('emits exit, then close once stdout and stderr have closed, with nobody reading them', () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'echo unread; echo unread >&2; exit 7']);
      const events: string[] = [];
      child.on('spawn', () => events.push('spawn'));
      child.on('exit', (code, signal) => events.push(`exit ${code} ${signal}`));
      await new Promise<void>((resolve) =>
        child.on('close', (code, signal) => {
          events.push(`close ${code} ${signal}`);
          resolve();
        }),
      );
      expect(events).toEqual(['spawn', 'exit 7 null', 'close 7 null']);
      expect(child.exitCode).toBe(7);
      expect(child.signalCode).toBeNull();
    }));

  it('releases the pipes nobody asked for at exit, quietly, even in a worker thread', () =>
    expectNoLeaks(async () => {
      // Worker threads track fds: closing one Node did not open through fs would warn there.
      const script = `
        const { Worker } = require('node:worker_threads');
        new Worker(\`
          const { spawn } = require('process-spawner');
          const child = spawn('sh', ['-c', 'echo unread; echo unread >&2']);
          child.on('close', (code) => console.log('close', code, child.stdout.readableEnded, child.stderr.readableEnded));
        \`, { eval: true });
      `;
      const result = await finish(spawn(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..', '..') }));
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('close 0 true true\n');
    }));

  it('drains an unused stdout at exit, as child_process does: what the child left running may still write there', () =>
    expectNoLeaks(async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'drain-'));
      try {
        const marker = path.join(dir, 'still-alive');
        const child = spawn('sh', ['-c', `(sleep 0.2; echo from the background; touch ${marker}) & exit 0`]);
        const events: string[] = [];
        child.on('exit', () => events.push('exit'));
        await new Promise<void>((resolve) => child.on('close', () => resolve()));
        // No SIGPIPE for the background writer: it went on to its next command, and 'close'
        // came once it had let go of the pipe.
        expect(readdirSync(dir)).toEqual(['still-alive']);
        expect(events).toEqual(['exit']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  it('moves fds that a later dup2 would clobber: stdout and stderr swapped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'swap-'));
    try {
      const outFd = openSync(path.join(dir, 'out'), 'w');
      const errFd = openSync(path.join(dir, 'err'), 'w');
      await expectNoLeaks(async () => {
        const node = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures/swap-stdio.js')], {
          stdio: ['ignore', outFd, errFd],
        });
        expect((await node.exited).exitCode).toBe(0);
      });
      closeSync(outFd);
      closeSync(errFd);
      expect(readFileSync(path.join(dir, 'out'), 'utf8')).toBe('to-stderr\n');
      expect(readFileSync(path.join(dir, 'err'), 'utf8')).toBe('to-stdout\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('signals and exit information', () => {
  it('kills with SIGTERM by default and reports the signal, not an exit code', () =>
    expectNoLeaks(async () => {
      const child = spawn('sleep', ['30']);
      expect(child.kill()).toBe(true);
      expect(child.killed).toBe(true);
      const { exit, close } = await finish(child);
      expect(exit).toMatchObject({ exitCode: null, signal: 'SIGTERM', coreDumped: false, status: 15 });
      expect(close).toEqual([null, 'SIGTERM']);
    }));

  it('accepts signal numbers and reports SIGKILL', () =>
    expectNoLeaks(async () => {
      const child = spawn('sleep', ['30']);
      expect(child.kill(9)).toBe(true);
      expect((await child.exited).signal).toBe('SIGKILL');
    }));

  it('returns false once the child has been reaped, and never signals that pid again', () =>
    expectNoLeaks(async () => {
      const child = spawn('true');
      await child.exited;
      expect(child.kill('SIGKILL')).toBe(false);
      expect(child.killed).toBe(false);
    }));

  it('rejects an unknown signal with a TypeError', () =>
    expectNoLeaks(async () => {
      const child = spawn('sleep', ['30']);
      expect(() => child.kill('SIGNOPE' as NodeJS.Signals)).toThrow(TypeError);
      expect(() => child.kill(1000)).toThrow(/signal name like 'SIGTERM'/);
      child.kill('SIGKILL');
      await child.exited;
    }));

  it('sets the core-dump flag when the kernel writes a core', async () => {
    const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
    if (pattern.startsWith('|')) return; // cores go to a helper program here; nothing to observe
    const dir = mkdtempSync(path.join(tmpdir(), 'core-'));
    try {
      await expectNoLeaks(async () => {
        const child = spawn('sh', ['-c', 'ulimit -c unlimited && echo ready && exec sleep 30'], { cwd: dir });
        await new Promise((resolve) => child.stdout?.once('data', resolve));
        child.kill('SIGQUIT');
        const exit = await child.exited;
        expect(exit).toMatchObject({ signal: 'SIGQUIT', coreDumped: true });
        expect(exit.status! & 0x80).toBe(0x80);
        expect(readdirSync(dir).some((name) => name.startsWith('core'))).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not set the core-dump flag when cores are disabled', () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'ulimit -c 0 && kill -QUIT $$']);
      expect(await child.exited).toMatchObject({ signal: 'SIGQUIT', coreDumped: false, status: 3 });
    }));

  it('reports the user CPU time and max RSS of a CPU-burning child', () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done']);
      const { rusage, durationMs } = await child.exited;
      expect(rusage?.userCpuMicros).toBeGreaterThan(0);
      expect(rusage?.maxRssKiB).toBeGreaterThan(0);
      expect(rusage?.minorFaults).toBeGreaterThan(0);
      // The child's own CPU time cannot exceed the wall time we measured around it.
      expect((rusage?.userCpuMicros ?? 0) / 1000).toBeLessThanOrEqual(durationMs + 1);
    }));
});
