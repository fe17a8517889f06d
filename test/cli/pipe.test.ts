// --pipe and --pipepart run as a user runs them: blocks of whole records, streamed with memory
// bounded by the job slots times the block size, and stopped cleanly midway. (What each block
// holds is compared with GNU parallel's in parallel-compat.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { cli, spawnedPids, startCli, waitForOutput } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { expectNoLeaks } from '../helpers/leaks';
import { expectAllEnded } from './ended';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'cli-pipe-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('--pipe', () => {
  it('streams 400 MB through 1 MiB blocks at -j 2: blocks of whole lines within 1 MiB, every line counted once', () =>
    expectNoLeaks(async () => {
      // 4,000,000 lines of 100 bytes, made by the shell and piped in as a user would.
      const line = `yes ${'x'.repeat(99)} | head -n 4000000 | "$0" "$1" --pipe -j 2 --block 1M 'wc -l'`;
      const run = spawn('sh', ['-c', line, process.execPath, path.join(__dirname, '..', '..', 'dist', 'cli', 'index.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const result = await finish(run);
      const counts = result.stdout.trim().split('\n').map(Number);
      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(4_000_000);
      // Every block but the last holds whole records within 1 MiB: 10,485 lines of 100 bytes.
      expect(Math.max(...counts)).toBe(10_485);
      expect(result.exit.exitCode, result.stderr).toBe(0);
    }));

  it('keeps its memory bounded: 400 MB in, max RSS under 150 MB', () =>
    expectNoLeaks(async () => {
      const input = path.join(directory, 'input');
      writeFileSync(input, `${'y'.repeat(99)}\n`.repeat(100_000));
      // The same 10 MB file 40 times over, read from a pipe.
      const line = `for i in $(seq 40); do cat "$2"; done | "$0" "$1" --pipe -j 2 --block 2M 'wc -c'`;
      const run = spawn('sh', ['-c', line, process.execPath, path.join(__dirname, '..', '..', 'dist', 'cli', 'index.js'), input], { stdio: ['ignore', 'pipe', 'pipe'] });
      const [result, info] = await Promise.all([finish(run), run.exited]);
      expect(result.stdout.trim().split('\n').map(Number).reduce((sum, count) => sum + count, 0)).toBe(400_000_000);
      // The shell's rusage covers its biggest child: us.
      expect(info.rusage?.maxRssKiB).toBeLessThan(150 * 1024);
    }));

  it('--pipepart -a FILE: the blocks of the file, in order with -k', () =>
    expectNoLeaks(async () => {
      const file = path.join(directory, 'numbers');
      writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `${i}\n`).join(''));
      const result = await cli(['--pipepart', '-a', file, '--block', '5k', '-k', 'head -n 1']);
      const firsts = result.stdout.trim().split('\n').map(Number);
      expect(firsts[0]).toBe(0);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      expect(firsts.length).toBeGreaterThan(3);
    }));

  it('SIGTERM midway: no more blocks are read or started, the running runs are stopped, nothing is left', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--verbose', '--pipe', '-j', '2', '--block', '1k', '--drain-timeout', '0', 'sleep 30; wc -l']);
      run.stdin?.write(`${'z'.repeat(99)}\n`.repeat(100));
      const finished = finish(run);
      const stderr = await waitForOutput(run.stderr, /(spawned pid \d+[\s\S]*){2}/);
      run.kill('SIGTERM');
      const result = await finished;
      run.stdin?.destroy();
      expect(result.exit.signal).toBe('SIGTERM');
      // finish() read all of stderr, what waitForOutput saw too: no block was started after the signal.
      expect(spawnedPids(result.stderr)).toHaveLength(2);
      await expectAllEnded(spawnedPids(stderr), 'pgrp');
    }));
});
