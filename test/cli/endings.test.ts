// However the command ends (Ctrl-C with its output in a pipe, a signal, a failed spool write, a
// signal during its cleanup), no process it started is left, and it ends the way a user expects:
// it dies of the signal that stopped it. Also the bytes of arguments, E2BIG, the progress line,
// and a missing addon. Each case runs the command as a user would, on a terminal (script(1))
// where that matters.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { CLI, cli, startCli, waitForOutput } from '../helpers/cli';
import { finish } from '../helpers/collect';
import { allProcesses, eventually, expectNoLeaks } from '../helpers/leaks';
import { PARALLEL_CLI, runForBytes } from './commands';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'cli-endings-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
const COMMANDS = [
  ['process-spawner', `${quote(process.execPath)} ${quote(CLI)}`],
  ['process-spawner-parallel', `${quote(process.execPath)} ${quote(PARALLEL_CLI)}`],
] as const;

/** A sleep duration no other process on the machine uses, to find what is left of ours. */
function uniqueSeconds(base: number): string {
  return `${base}.${process.pid}${Math.floor(Math.random() * 1000)}`;
}

function sleepsOf(seconds: string): number[] {
  return allProcesses()
    .filter((stat) => stat.command === 'sleep' && stat.state !== 'Z' && cmdline(stat.pid).includes(seconds))
    .map((stat) => stat.pid);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** `script` gives `line` (run by bash) a terminal; `keys` are typed into it after `afterMs`. */
async function onTerminal(line: string, keys: string[], afterMs: number) {
  const terminal = spawn('script', ['-qec', `bash -c ${quote(line)}`, '/dev/null']);
  // script ends with its child; its stdin, our typing, is then closed.
  void terminal.exited.then(() => terminal.stdin?.destroy());
  const finished = finish(terminal);
  const timer = setTimeout(() => terminal.kill('SIGKILL'), 20_000);
  await sleep(afterMs);
  for (const key of keys) {
    if (!terminal.stdin?.destroyed) terminal.stdin?.write(key);
    await sleep(150);
  }
  const result = await finished;
  clearTimeout(timer);
  return { ...result, stdout: result.stdout.replaceAll('\r', '') };
}

describe('no job outlives the command, whatever ends it', () => {
  it.each(COMMANDS)('%s: Ctrl-C with stderr going into a pipe stops the runs; nothing crashes or is left', (_name, command) =>
    expectNoLeaks(async () => {
      const seconds = uniqueSeconds(8);
      // Ctrl-C reaches the whole pipeline: grep goes at once, and the command's notice of it hits EPIPE.
      const line = `${command} -j2 'sleep ${seconds}; echo done {}' ::: 1 2 3 2>&1 | grep done; echo "not reached: bash dies of the SIGINT too"`;
      const result = await onTerminal(line, ['\x03'], 1500);
      expect(result.stdout).not.toMatch(/Error|at .*\.js|not reached/);
      expect(result.stdout).not.toContain('done 3');
      await eventually(() => expect(sleepsOf(seconds)).toEqual([]), 8000);
    }),
  );

  it('a failed spool write (TMPDIR missing) stops the runs and what they left, in one line, status 255', () =>
    expectNoLeaks(async () => {
      const seconds = uniqueSeconds(30);
      const result = await cli(['-j', '2', `(sleep ${seconds} &) ; head -c 300000 /dev/zero; true {}`, ':::', '1', '2'], undefined, {
        env: { ...process.env, TMPDIR: path.join(directory, 'missing') },
      });
      expect(result.exit.exitCode).toBe(255);
      expect(result.stderr).toMatch(/^process-spawner: cannot hold the output of the runs \(.*missing.*\): ENOENT; stopping the runs\n$/);
      expect(sleepsOf(seconds)).toEqual([]);
    }));

  it('a signal during the final cleanup makes it kill the daemons left at once, then the command dies of it', () =>
    expectNoLeaks(async () => {
      const seconds = uniqueSeconds(30);
      // A daemon that ignores SIGTERM: the cleanup would give it 1 s before SIGKILL.
      const run = startCli(['-j', '1', `setsid sh -c 'trap "" TERM; sleep ${seconds}' >/dev/null 2>&1 & echo started {}`, ':::', 'a']);
      run.stdin?.end();
      const finished = finish(run);
      await waitForOutput(run.stdout, /started a/);
      for (let i = 0; i < 3; i++) {
        run.kill('SIGINT');
        await sleep(30);
      }
      const result = await finished;
      expect(result.exit.signal).toBe('SIGINT');
      expect(sleepsOf(seconds)).toEqual([]);
    }));

  it('one program: a signal goes to its process group, and a grandchild holding the pipes is not waited for', () =>
    expectNoLeaks(async () => {
      const seconds = uniqueSeconds(100);
      const run = startCli([`sleep ${seconds} & wait`]);
      run.stdin?.end();
      const finished = finish(run);
      await eventually(() => expect(sleepsOf(seconds)).toHaveLength(1));
      const signalledAt = Date.now();
      run.kill('SIGTERM');
      const result = await finished;
      expect(result.exit.signal).toBe('SIGTERM');
      expect(Date.now() - signalledAt).toBeLessThan(4000);
      expect(sleepsOf(seconds)).toEqual([]);
    }));

  it('after Ctrl-C the command dies of SIGINT, so a shell loop around it stops, as around xargs -P', () =>
    expectNoLeaks(async () => {
      const seconds = uniqueSeconds(3);
      for (const [, command] of COMMANDS) {
        const loop = `for i in 1 2; do ${command} -j2 'sleep ${seconds}; echo {}' ::: a; echo "next $i"; done; echo after`;
        const result = await onTerminal(loop, ['\x03'], 1200);
        expect(result.stdout).not.toContain('next 1');
        expect(result.stdout).not.toContain('after');
      }
      await eventually(() => expect(sleepsOf(seconds)).toEqual([]), 8000);
    }));
});

describe('arguments are bytes; errors are short', () => {
  it('-0, -a and ::: pass bytes that are not UTF-8 through, as xargs -0 does', () =>
    expectNoLeaks(async () => {
      const names = Buffer.from('caf\xe9\0na\xefve file\0plain\0', 'latin1');
      const xargs = await runForBytes(['xargs', '-0', 'printf', '[%s]\\n'], names);
      const latin1 = xargs.stdout.toString('latin1');
      expect(latin1).toBe('[caf\xe9]\n[na\xefve file]\n[plain]\n');
      const ours = await runForBytes([process.execPath, CLI, '-0', '-k', '--', 'printf', '[%s]\\n'], names);
      expect(ours.stdout.equals(xargs.stdout)).toBe(true);
      const shell = await runForBytes([process.execPath, PARALLEL_CLI, '-0', '-k', 'printf "[%s]\\n" {}'], names);
      expect(shell.stdout.equals(xargs.stdout)).toBe(true);
      const file = path.join(directory, 'latin1-names');
      writeFileSync(file, Buffer.from('\xe9t\xe9\n', 'latin1'));
      const fromFile = await runForBytes([process.execPath, CLI, '-k', '-a', file, '--tag', 'echo', 'x']);
      expect(fromFile.stdout.toString('latin1')).toBe('\xe9t\xe9\tx \xe9t\xe9\n');
      // On our own command line: process.argv would have lost the byte.
      const argument = Buffer.from('caf\xe9', 'latin1');
      const fromArgv = await runForBytes(['sh', '-c', `"$0" "$1" -k echo ::: "$(printf 'caf\\351')"`, process.execPath, PARALLEL_CLI]);
      expect(fromArgv.stdout.equals(Buffer.concat([argument, Buffer.from('\n')]))).toBe(true);
    }));

  it('a run that hits E2BIG says so briefly, not with the whole command line', () =>
    expectNoLeaks(async () => {
      const file = path.join(directory, 'long-line');
      writeFileSync(file, `${'x'.repeat(300_000)}\n`);
      const result = await cli(['-a', file, 'echo']);
      expect(result.exit.exitCode).toBe(1);
      expect(result.stderr.length).toBeLessThan(1000);
      expect(result.stderr).toMatch(/run 1 \(x{200}\.\.\. \(300000 characters\)\): the command line is too long to run \(E2BIG\): 300\d+ bytes of arguments/);
    }));

  it('the CLI says in one message, without a stack trace, that the addon cannot be loaded', () =>
    expectNoLeaks(async () => {
      for (const args of [['echo', 'x'], ['-j', '2', 'echo', ':::', 'a']]) {
        const result = await cli(args, undefined, { env: { ...process.env, PROCESS_SPAWNER_ADDON: path.join(directory, 'no-addon.node') } });
        expect(result.exit.exitCode).toBe(255);
        expect(result.stderr).toMatch(/^process-spawner: process-spawner's native addon could not be loaded from .*no-addon\.node\.\n/);
        expect(result.stderr).toContain('Fix: `npm rebuild process-spawner`');
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }
    }));
});

describe('interactive habits', () => {
  it('a replacement string makes a pool by itself: `seq 3 | process-spawner echo {}`', () =>
    expectNoLeaks(async () => {
      const result = await cli(['echo', '{}'], '1\n2\n3\n');
      expect(result.stdout.split('\n').sort().join(' ')).toBe(' 1 2 3');
    }));

  it('the progress line: on a terminal unless --no-progress; process-spawner-parallel only with --bar, as parallel', () =>
    expectNoLeaks(async () => {
      const bar = /\[#+\.*\] done \d/;
      const [[, spawner], [, compatible]] = COMMANDS;
      const run = async (line: string) => (await onTerminal(line, [], 0)).stdout;
      expect(await run(`${spawner} -j2 true ::: a b`)).toMatch(bar);
      expect(await run(`${spawner} --no-progress -j2 true ::: a b`)).not.toMatch(bar);
      expect(await run(`${compatible} -j2 true ::: a b`)).not.toMatch(bar);
      expect(await run(`${compatible} --bar -j2 true ::: a b`)).toMatch(bar);
    }));
});
