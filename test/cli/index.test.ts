// The process-spawner command, run as a user runs it: node dist/cli/index.js (the bin), through our own spawn.
import { describe, expect, it } from 'vitest';
import { longOptionNames } from '../../src/cli/args';
import { cli, startCli } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { expectNoLeaks } from '../helpers/leaks';

describe('process-spawner', () => {
  it('runs a command string: exec\'d directly with no shell syntax, through /bin/sh -c with it', () =>
    expectNoLeaks(async () => {
      const result = await cli(['echo hello world']);
      expect(result).toMatchObject({ stdout: 'hello world\n', stderr: '' });
      expect(result.exit.exitCode).toBe(0);
      const direct = await cli(['--verbose', 'echo hello world']);
      expect(direct.stderr).toContain('spawned pid');
      expect(direct.stderr).toContain(': ["echo","hello","world"]');
      const shell = await cli(['--verbose', 'cd / && echo "$PWD"']);
      expect(shell.stdout).toBe('/\n');
      expect(shell.stderr).toContain(': ["/bin/sh","-c","cd / && exec echo \\"$PWD\\""]');
    }));

  it('execs the file after -- directly, with no shell', () =>
    expectNoLeaks(async () => {
      const result = await cli(['--', 'echo', 'hello', '$HOME', '*']);
      expect(result.stdout).toBe('hello $HOME *\n');
    }));

  it('passes stdin through: cat fed "hello" echoes it and sees EOF', () =>
    expectNoLeaks(async () => {
      const result = await cli(['cat'], 'hello\n');
      expect(result.stdout).toBe('hello\n');
      expect(result.exit.exitCode).toBe(0);
    }));

  it('echoes line by line while stdin stays open', () =>
    expectNoLeaks(async () => {
      const child = startCli(['cat']);
      child.stdin?.write('first\n');
      const firstLine = await new Promise<string>((resolve) => child.stdout?.once('data', (chunk) => resolve(String(chunk))));
      expect(firstLine).toBe('first\n');
      child.stdin?.end('second\n');
      expect((await finish(child)).stdout).toBe('second\n');
    }));

  it('exits with the child\'s status; dies of the signal that ended it (INT, TERM, HUP, PIPE), else 128 + n', () =>
    expectNoLeaks(async () => {
      expect((await cli(['exit 42'])).exit.exitCode).toBe(42);
      expect((await cli(['kill -TERM $$'])).exit.signal).toBe('SIGTERM');
      expect((await cli(['kill -KILL $$'])).exit.exitCode).toBe(128 + 9);
    }));

  it('forwards SIGTERM to the child and dies of it too', () =>
    expectNoLeaks(async () => {
      const child = startCli(['echo started; exec sleep 30']);
      await new Promise((resolve) => child.stdout?.once('data', resolve));
      child.kill('SIGTERM');
      expect((await finish(child)).exit.signal).toBe('SIGTERM');
    }));

  it('passes a closed stdout on as SIGPIPE to the writer: `process-spawner yes | head`', () =>
    expectNoLeaks(async () => {
      const child = startCli(['yes']);
      child.stdin?.end();
      await new Promise((resolve) => child.stdout?.once('data', resolve));
      child.stdout?.destroy();
      expect((await child.exited).signal).toBe('SIGPIPE');
    }));

  it('prints lifecycle lines with --verbose: pid, argv, how it ended and its rusage', () =>
    expectNoLeaks(async () => {
      const { stderr, stdout } = await cli(['--verbose', '--', 'sh', '-c', 'exit 3']);
      expect(stdout).toBe('');
      const [spawned, ended] = stderr.trim().split('\n');
      expect(spawned).toMatch(/^process-spawner: spawned pid \d+: \["sh","-c","exit 3"\]$/);
      expect(ended).toMatch(/^process-spawner: pid \d+ ended: exit 3, status 768, after [\d.]+ ms; user [\d.]+ ms, system [\d.]+ ms, max RSS \d+ KiB$/);
    }));

  it('reports a missing program the way a shell does: message and status 127', () =>
    expectNoLeaks(async () => {
      const result = await cli(['--', 'no-such-program-xyz']);
      expect(result.stderr).toBe('process-spawner: no-such-program-xyz: spawn no-such-program-xyz ENOENT (execvp)\n');
      expect(result.exit.exitCode).toBe(127);
    }));

  it('rejects bad input with one line naming the problem, the usage, and status 255 (never a stack trace)', () =>
    expectNoLeaks(async () => {
      const cases: [string[], RegExp][] = [
        [['--nope', 'true'], /unknown option --nope/],
        [[], /missing the command to run/],
        [['--'], /missing the file to run after --/],
        [['--', ''], /the file to run after -- is an empty string/],
        [['--workers', 'abc', 'echo'], /-j\/--jobs takes a whole number .* got 'abc'/],
        [['--worker', 'cat', '-n', '3'], /--tasks only goes with a pool of commands, not --worker/],
        [['--worker', 'cat', '--input', '/no/such/file'], /cannot read \/no\/such\/file: no such file/],
        [['--worker', 'cat', '--input', '/tmp'], /cannot read \/tmp: is a directory/],
        [['--timeout', 'soon', '-n', '1', 'true'], /--timeout: expected a duration/],
        [['-kx', 'true'], /unknown option -x \(in -kx\)/],
      ];
      for (const [args, message] of cases) {
        const result = await cli(args);
        expect(result.exit.exitCode, args.join(' ')).toBe(255);
        const [first, ...usage] = result.stderr.trimEnd().split('\n');
        expect(first).toMatch(/^process-spawner: /);
        expect(first).toMatch(message);
        expect(usage[0]).toMatch(/^usage: process-spawner /);
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }
    }));

  it('--help names every long option the command accepts', async () => {
    const help = (await cli(['--help'])).stdout;
    const missing = longOptionNames().filter((name) => !new RegExp(`${name}\\b`).test(help));
    expect(missing).toEqual([]);
  });

  it('prints --help with examples, and --version', () =>
    expectNoLeaks(async () => {
      expect((await cli(['--help'])).stdout).toContain('process-spawner "echo hello world"');
      expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    }));
});
