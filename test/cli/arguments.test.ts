// Arguments as GNU parallel and xargs take them: :::, ::::, -a, stdin, -0, -d, --colsep, the
// replacement strings, quoting, the run's environment, -j forms and combined short flags.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { expectNoLeaks } from '../helpers/leaks';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'cli-arguments-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));


describe('arguments of a pool of commands', () => {
  it('::: gives one run per argument; several ::: combine as a cross product, the first varying slowest', () =>
    expectNoLeaks(async () => {
      expect((await cli(['-k', 'echo', ':::', 'a', 'b'])).stdout).toBe('a\nb\n');
      const cross = await cli(['-k', 'echo {1}-{2}', ':::', 'x', 'y', ':::', '1', '2']);
      expect(cross.stdout).toBe('x-1\nx-2\ny-1\ny-2\n');
      expect(cross.exit.exitCode).toBe(0);
    }));

  it(':::: FILE and -a FILE read one argument per line; stdin is read when a pool option is given', () =>
    expectNoLeaks(async () => {
      const file = path.join(directory, 'args.txt');
      writeFileSync(file, 'one\ntwo\n');
      expect((await cli(['-k', 'echo', '::::', file])).stdout).toBe('one\ntwo\n');
      expect((await cli(['-k', '-a', file, 'echo', 'got'])).stdout).toBe('got one\ngot two\n');
      expect((await cli(['-j', '2', '-k', 'echo', 'in'], 'x\ny\n')).stdout).toBe('in x\nin y\n');
    }));

  it('-0 and -d split the input on NUL or a given character; --colsep splits into {1} {2}', () =>
    expectNoLeaks(async () => {
      expect((await cli(['-0', '-k', 'echo'], 'a b\0c\nd\0')).stdout).toBe('a b\nc\nd\n');
      expect((await cli(['-d', ',', '-k', 'echo'], 'p,q,r')).stdout).toBe('p\nq\nr\n');
      expect((await cli(['--colsep', '\t', '-k', 'echo {2}:{1}'], 'a\tb\nc\td\n')).stdout).toBe('b:a\nd:c\n');
    }));

  it('as in parallel: --colsep is a regular expression, :::+ pairs sources, --link wraps the shorter', () =>
    expectNoLeaks(async () => {
      expect((await cli(['--colsep', ' +', '-k', 'echo {2}'], 'a   b\nc d\n')).stdout).toBe('b\nd\n');
      expect((await cli(['-k', 'echo {1}{2}', ':::', 'a', 'b', ':::+', '1', '2', '3'])).stdout).toBe('a1\nb2\n');
      expect((await cli(['-k', '--link', 'echo {1}{2}', ':::', 'a', 'b', 'c', ':::', '1', '2'])).stdout).toBe('a1\nb2\nc1\n');
    }));

  it('replacement strings: {} {.} {/} {//} {/.} {#} {%}', () =>
    expectNoLeaks(async () => {
      const result = await cli(['-j', '1', '-k', 'echo {} {.} {/} {//} {/.} {#} {%}', ':::', 'dir/a.tar.gz', 'b']);
      expect(result.stdout).toBe('dir/a.tar.gz dir/a.tar a.tar.gz dir a.tar 1 1\nb b b . b 2 1\n');
    }));

  it('quotes arguments substituted into a shell command: a file named `a b; rm -rf x` runs nothing', () =>
    expectNoLeaks(async () => {
      const victim = path.join(directory, 'x');
      writeFileSync(victim, 'still here');
      const result = await cli(['-k', `cd ${directory} && printf '[%s]\\n' {}`, ':::', 'a b; rm -rf x', "it's $(id)"]);
      expect(result.stdout).toBe("[a b; rm -rf x]\n[it's $(id)]\n");
      expect((await cli(['-k', 'echo', ':::', 'a b; rm -rf x'])).stdout).toBe('a b; rm -rf x\n');
      expect(readFileSync(victim, 'utf8')).toBe('still here');
    }));

  it('each run gets PROCESS_SPAWNER_SEQ and PROCESS_SPAWNER_SLOT, and parallel\'s PARALLEL_SEQ and PARALLEL_JOBSLOT', () =>
    expectNoLeaks(async () => {
      const parallelNames = await cli(['-j', '1', '-k', 'echo $PARALLEL_SEQ $PARALLEL_JOBSLOT', ':::', 'a', 'b']);
      expect(parallelNames.stdout).toBe('1 1 a\n2 1 b\n');
      const result = await cli(['-j', '2', '-k', 'echo $PROCESS_SPAWNER_SEQ {#} $PROCESS_SPAWNER_SLOT {%}', ':::', 'a', 'b', 'c']);
      const lines = result.stdout.trimEnd().split('\n').map((line) => line.split(' '));
      expect(lines.map(([seq, seqToken]) => [seq, seqToken])).toEqual([['1', '1'], ['2', '2'], ['3', '3']]);
      for (const [, , slot, slotToken] of lines) {
        expect(slot).toBe(slotToken);
        expect(['1', '2']).toContain(slot);
      }
    }));

  it('-j N, -P N, -w N, -j 0, -j 50%, and combined short flags (-kj4)', () =>
    expectNoLeaks(async () => {
      for (const flag of [['-j', '3'], ['-P', '3'], ['-w3'], ['--jobs=3']]) {
        const { stdout } = await cli([...flag, '--json', 'true', ':::', 'a', 'b']);
        expect(JSON.parse(stdout).workers).toBe(3);
      }
      expect(JSON.parse((await cli(['-j', '0', '--json', 'true', ':::', 'a', 'b', 'c', 'd', 'e'])).stdout).workers).toBe(5);
      expect(JSON.parse((await cli(['-j', '50%', '--json', 'true', ':::', 'a'])).stdout).workers).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
      const combined = await cli(['-kj4', '--json', 'true', ':::', 'a']);
      expect(JSON.parse(combined.stdout).workers).toBe(4);
      expect((await cli(['-kj4', 'echo', ':::', 'a', 'b'])).stdout).toBe('a\nb\n');
    }));

  it('--dry-run prints the commands, quoted, and runs nothing', () =>
    expectNoLeaks(async () => {
      const result = await cli(['--dry-run', 'gzip', ':::', 'a b', 'c']);
      expect(result.stdout).toBe("gzip 'a b'\ngzip c\n");
      expect(result.exit.exitCode).toBe(0);
    }));
});
