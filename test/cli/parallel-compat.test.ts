// process-spawner-parallel side by side with GNU parallel (20221122 here): the same invocations,
// the same stdout and exit status. Every case is run by both; where parallel is not installed
// the comparison is skipped with a message, and our own expected output is still checked.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { parallelOptionNames } from '../../src/cli/parallel-args';
import { gnuParallel, NO_PARALLEL, ours, runWith, theirs } from './commands';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'cli-parallel-'));
  writeFileSync(path.join(directory, 'jobs.txt'), 'echo one\necho two; echo three\n');
  writeFileSync(path.join(directory, 'args.txt'), 'a.tar.gz\ndir/b c\n');
  writeFileSync(path.join(directory, 'numbers'), Array.from({ length: 20000 }, (_, i) => `${i}\n`).join(''));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// Runs use the same shell on both sides: bash, as a user's login shell would be.
const env = { ...process.env, PARALLEL_SHELL: '/bin/bash' };
if (gnuParallel === null) console.warn(NO_PARALLEL);

interface Case {
  args: string[];
  input?: string;
  /** What ours prints, checked even without GNU parallel; omitted where the comparison says it all. */
  stdout?: string;
  status?: number;
}

// Item 2 of issue 20: options that meant something else in process-spawner.
const OPTION_MEANINGS: [string, Case][] = [
  ['-n 2: two arguments per run', { args: ['-k', '-n', '2', 'echo'], input: 'a\nb\nc\nd\ne\n', stdout: 'a b\nc d\ne\n' }],
  ['-N 2 with {1} {2}', { args: ['-k', '-N', '2', 'echo', '{2}-{1}'], input: 'a\nb\nc\n', stdout: 'b-a\n-c\n' }],
  ['-n 2 with {} quoting each argument', { args: ['-k', '-n', '2', 'echo', '[{}]', ':::', 'a b', 'c'], stdout: '[a b c]\n' }],
  ['-N0: a run per input, none used', { args: ['-k', '-N0', 'echo', 'x', ':::', 'a', 'b'], stdout: 'x\nx\n' }],
  ['--timeout in seconds', { args: ['-k', '--timeout', '5', 'sleep 0.2; echo ok {}', ':::', 'a', 'b'], stdout: 'ok a\nok b\n', status: 0 }],
  ['--timeout with a unit: 1m', { args: ['-k', '--timeout', '1m', 'echo', ':::', 'a'], stdout: 'a\n', status: 0 }],
  ['--timeout 0.3 stops a run', { args: ['-k', '--timeout', '0.3', 'sleep {}; echo {}', ':::', '0', '3'], stdout: '0\n', status: 1 }],
  ['-q quotes the command', { args: ['-q', 'echo', '$x', '{}', ':::', 'a b'], stdout: '$x a b\n' }],
  ['-I a replacement string of the user\'s choice', { args: ['-k', '-I', ',,', 'echo', ',,', '{}', '{.}', ':::', 'a.b'], stdout: 'a.b {} a\n' }],
  ['-m: many arguments per run, spread over the slots', { args: ['-k', '-j2', '-m', 'echo'], input: '1\n2\n3\n4\n5\n6\n', stdout: '1 2 3\n4 5 6\n' }],
  ['-X: the word repeated per argument', { args: ['-k', '-j1', '-X', 'echo', 'x{}y'], input: 'a b\nc\n', stdout: "xa by xcy\n" }],
  ['--link wraps the shorter source', { args: ['-k', '--link', 'echo', '{1}{2}', ':::', 'a', 'b', 'c', ':::', '1', '2'], stdout: 'a1\nb2\nc1\n' }],
  [':::+ pairs as far as the shorter goes', { args: ['-k', 'echo', '{1}{2}{3}', ':::', 'a', 'b', ':::+', '1', '2', '3', ':::', 'x', 'y'], stdout: 'a1x\na1y\nb2x\nb2y\n' }],
  ['-v prints each command before its output', { args: ['-k', '-v', 'echo', ':::', 'a', 'b'], stdout: 'echo a\na\necho b\nb\n' }],
  ['--colsep is a regular expression', { args: ['-k', '--colsep', ' +', 'echo', '{2}'], input: 'a   b c\nd e\n', stdout: 'b\ne\n' }],
  ['--colsep \\t', { args: ['-k', '--colsep', '\\t', 'echo', '{2}'], input: 'a\tb  c\n', stdout: 'b  c\n' }],
  ['-a FILE with {/} {.} {//}', { args: ['-k', '-a', '', 'echo', '{/}+{.}+{//}'], stdout: 'a.tar.gz+a.tar+.\nb c+dir/b c+dir\n' }],
  ['PARALLEL_SEQ for each run', { args: ['-k', '-j1', 'echo', '$PARALLEL_SEQ', '$PARALLEL_JOBSLOT', '{}', ':::', 'a', 'b'], stdout: '1 1 a\n2 1 b\n' }],
  ['commands from stdin when none is given', { args: ['-k'], input: 'echo one\necho two; echo three\n', stdout: 'one\ntwo\nthree\n' }],
  ['commands from ::: when none is given', { args: ['-k', ':::', 'echo a', 'exit 3'], stdout: 'a\n', status: 1 }],
  ['the user\'s shell: [[ ]] and bash\'s echo -e', { args: ['-k', '[[ {} == a* ]] && echo -e "yes\\t{}"', ':::', 'ab', 'b'], stdout: 'yes\tab\n', status: 1 }],
  ['--dry-run shows no exec of ours', { args: ['--dry-run', '-k', 'cd /tmp && echo {}', ':::', "it's", 'x y'], stdout: "cd /tmp && echo 'it'\"'\"'s'\ncd /tmp && echo 'x y'\n" }],
  ['-r: no run for an empty line', { args: ['-k', '-r', 'echo', 'x{}'], input: 'a\n\nb\n', stdout: 'xa\nxb\n' }],
  ['--tag', { args: ['-k', '--tag', 'echo', 'x', ':::', 'a b'], stdout: 'a b\tx a b\n' }],
  ['{.} and {/.} as parallel cuts them', { args: ['-k', 'echo', '{.}+{/.}', ':::', '.bashrc', 'a.b.c', 'dir.x/f', 'a/.b'], stdout: '+\na.b+a.b\ndir.x/f+f\na/+\n' }],
  ['-d splits ::: arguments too', { args: ['-k', '-d', ',', 'echo', ':::', 'a,b', 'c'], stdout: 'a\nb\nc\n' }],
  ['-a first, then :::', { args: ['-k', '-a', '', 'echo', ':::', 'x', 'y'], stdout: 'a.tar.gz x\na.tar.gz y\ndir/b c x\ndir/b c y\n' }],
  [':::: FILE ::::+ FILE', { args: ['-k', 'echo', '::::', '', '::::+', ''], stdout: 'a.tar.gz a.tar.gz\ndir/b c dir/b c\n' }],
  ['the empty argument is one', { args: ['-k', 'echo', '[{}]', ':::', '', 'a'], stdout: '[]\n[a]\n' }],
];

// Item 3: the halt rules and --retries.
const FAILURE_RULES: [string, Case][] = [
  ['--halt now,fail=1 exits with the failing run\'s status', { args: ['-j1', '--halt', 'now,fail=1', 'exit {}', ':::', '0', '7', '0'], status: 7 }],
  ['--halt soon,fail=1', { args: ['-j1', '--halt', 'soon,fail=1', 'exit {}', ':::', '0', '9', '0'], status: 9 }],
  ['--halt 2 (now,fail=1)', { args: ['-j1', '--halt', '2', 'exit {}', ':::', '5', '0'], status: 5 }],
  ['--halt now,fail=2 exits with the count', { args: ['-j1', '--halt', 'now,fail=2', 'exit {}', ':::', '7', '7', '0'], status: 2 }],
  ['--halt now,success=1 exits 0', { args: ['-j1', '--halt', 'now,success=1', 'exit {}', ':::', '1', '0', '2'], status: 0 }],
  ['--halt now,done=2 is its own condition', { args: ['-j1', '--halt', 'now,done=2', 'echo {}; exit {}', ':::', '1', '0', '2', '3'], stdout: '1\n0\n', status: 1 }],
  ['--halt now,fail=50% exits with the percentage', { args: ['-j1', '--halt', 'now,fail=50%', 'exit {}', ':::', '7', '7', '0', '0', '7'], status: 60 }],
  ['--retries 3: three attempts in all, the last one\'s output', { args: ['--retries', '3', 'echo try {}; false', ':::', 'a'], stdout: 'try a\n', status: 1 }],
  ['a run killed by a signal', { args: ['-k', 'kill -9 $$; echo {}', ':::', 'a'], stdout: '', status: 1 }],
];

// --pipe and --pipepart: blocks, records.
const PIPE_CASES: [string, Case][] = [
  ['--pipe --block 10k', { args: ['--pipe', '--block', '10k', '-k', 'wc -c'] }],
  ['--pipe --block 10K', { args: ['--pipe', '--block', '10K', '-k', 'wc -l'] }],
  ['--pipe -N 3000', { args: ['--pipe', '-N', '3000', '-k', 'wc -l'] }],
  ['--pipe --recstart', { args: ['--pipe', '--recstart', '>', '-N1', '-k', 'echo start; cat'], input: '>a\n1\n>b\n2\n>c\n3\n', stdout: 'start\n>a\n1\nstart\n>b\n2\nstart\n>c\n3\n' }],
  ['--pipe --recend with {#}', { args: ['--pipe', '--recend', ';', '-N', '2', '-k', 'echo {#}: $(cat)'], input: 'a;b;c;d;e', stdout: '1: a;b;\n2: c;d;\n3: e\n' }],
  ['--pipepart --block 30k', { args: ['--pipepart', '-a', '', '--block', '30k', '-k', 'wc -c'] }],
];

// Cases that name a file of the temp directory: '' after -a or ::::+.
function withFiles(test: Case, file: string): Case {
  const args = test.args.map((arg, i) => (arg === '' && ['-a', '::::', '::::+'].includes(test.args[i - 1] as string) ? path.join(directory, file) : arg));
  return { ...test, args };
}

async function compare(test: Case): Promise<void> {
  const options = { env, cwd: directory };
  const mine = await runWith(ours(test.args), test.input ?? '', options);
  if (test.stdout !== undefined) expect(mine.stdout, mine.stderr).toBe(test.stdout);
  if (test.status !== undefined) expect(mine.exit.exitCode, mine.stderr).toBe(test.status);
  if (gnuParallel === null) return;
  const reference = await runWith(theirs(test.args), test.input ?? '', options);
  expect({ stdout: mine.stdout, status: mine.exit.exitCode }).toEqual({ stdout: reference.stdout, status: reference.exit.exitCode });
}

describe('process-spawner-parallel against GNU parallel', () => {
  it('--help names every option it accepts; an option it does not have is a usage error, never ignored', () =>
    expectNoLeaks(async () => {
      const help = (await runWith(ours(['--help']))).stdout;
      expect(parallelOptionNames().filter((name) => !new RegExp(`${name}\\b`).test(help))).toEqual([]);
      const unknown = await runWith(ours(['--tagstring', 'x', 'echo', ':::', 'a']));
      expect(unknown.exit.exitCode).toBe(255);
      expect(unknown.stderr).toMatch(/^process-spawner-parallel: unknown option --tagstring\nusage: process-spawner-parallel /);
    }));

  it.each(OPTION_MEANINGS)('%s', (_name, test) => expectNoLeaks(() => compare(withFiles(test, 'args.txt'))));
  it.each(FAILURE_RULES)('%s', (_name, test) => expectNoLeaks(() => compare(test)));
  it.each(PIPE_CASES)('%s', (_name, test) =>
    expectNoLeaks(() => compare({ ...withFiles(test, 'numbers'), input: test.input ?? readFileSync(path.join(directory, 'numbers'), 'utf8') })),
  );

  it('the joblog: Exitval -1 for a timeout, the signal, the command as written (no exec of ours)', () =>
    expectNoLeaks(async () => {
      const logs = [path.join(directory, 'ours.log'), path.join(directory, 'theirs.log')];
      const args = (log: string) => ['-k', '--joblog', log, '--timeout', '0.5', 'cd / && sleep {}', ':::', '0', '3'];
      await runWith(ours(args(logs[0] as string)), '', { env });
      const columns = (log: string) =>
        readFileSync(log, 'utf8')
          .trimEnd()
          .split('\n')
          .map((line) => line.split('\t'))
          .map((fields) => [fields[0], fields[1], fields[4], fields[6], fields[7], fields[8]]);
      expect(columns(logs[0] as string)).toEqual([
        ['Seq', 'Host', 'Send', 'Exitval', 'Signal', 'Command'],
        ['1', ':', '0', '0', '0', 'cd / && sleep 0'],
        ['2', ':', '0', '-1', '15', 'cd / && sleep 3'],
      ]);
      if (gnuParallel === null) return;
      await runWith(theirs(args(logs[1] as string)), '', { env });
      expect(columns(logs[0] as string)).toEqual(columns(logs[1] as string));
    }));

  it('the shell is the caller\'s: under bash, [[ ]] works as in parallel; $PARALLEL_SHELL chooses another', () =>
    expectNoLeaks(async () => {
      const line = (command: string[]) => command.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
      const args = ['-k', '[[ {} == a* ]] && echo yes {}', ':::', 'ab', 'b'];
      const noShellVariables = { ...process.env, SHELL: '/bin/sh', PARALLEL_SHELL: '' };
      const underBash = await runWith(['bash', '-c', `${line(ours(args))}; echo "status $?"`], '', { env: noShellVariables });
      expect(underBash.stdout).toBe('yes ab\nstatus 1\n');
      const chosen = await runWith(ours(['-k', 'echo $BASH_VERSION {} | cut -c1', ':::', 'a']), '', { env: { ...noShellVariables, PARALLEL_SHELL: '/bin/bash' } });
      expect(chosen.stdout).toMatch(/^\d\n$/);
      if (gnuParallel === null) return;
      const reference = await runWith(['bash', '-c', `${line(theirs(args))}; echo "status $?"`], '', { env: noShellVariables });
      expect(underBash.stdout).toBe(reference.stdout);
    }));
});
