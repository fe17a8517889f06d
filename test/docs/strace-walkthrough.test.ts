// Every command of docs/strace.md runs as a reader would run it, from the repository root, and
// prints what the ```text block right after it shows. The trace it writes must show the clone
// the page quotes for that command (the vfork method's or the fork method's), every system call
// the page quotes for it, and, for the reproduce command, the calls the walk-through explains.
// test/native/strace.test.ts asserts the call sequence itself.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { describeRun, runToCompletion } from '../helpers/run';
import { findExecutable } from '../helpers/strace';

const ROOT = path.join(__dirname, '..', '..');
const STRACE = findExecutable('strace');
const TRACE_FILES = ['trace.txt', 'pool.txt'];

interface Command {
  line: number;
  command: string;
  /** The output block after the command. */
  printed: string[];
  /** The flags of the first clone (or clone3) quoted after the command, before the next command. */
  cloneFlags: string | null;
  /** The system calls the trace lines quoted after the command, before the next command, name. */
  quotedCalls: Set<string>;
}

// A quoted trace line: `28085 clone3(...`, `2086  06:41:24.416216 clone3(...`, or a shortened
// `epoll_create1(EPOLL_CLOEXEC) = 18` in a section that takes the trace a few lines at a time.
const QUOTED_CALL = /^(?:\d+ +)?(?:\d\d:\d\d:\d\d\.\d+ +)?([a-z_][a-z0-9_]*)\(/;
const TRACED_CALL = /^\d+ +(?:\d\d:\d\d:\d\d\.\d+ +)?([a-z_][a-z0-9_]*)\(/gm;

function commands(): Command[] {
  const text = readFileSync(path.join(ROOT, 'docs', 'strace.md'), 'utf8');
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((match) => ({
    language: match[1],
    body: match[2] as string,
    line: text.slice(0, match.index).split('\n').length,
  }));
  const found: Command[] = [];
  blocks.forEach((block, i) => {
    if (block.language !== 'sh') return;
    const output = blocks[i + 1];
    if (output?.language !== 'text') throw new Error(`the command at line ${block.line} has no output block after it`);
    const nextCommand = blocks.findIndex((other, j) => j > i && other.language === 'sh');
    const quoted = blocks.slice(i + 2, nextCommand < 0 ? undefined : nextCommand);
    const clone = quoted.map((b) => /\bclone3?\(\{?[^\n]*?flags=([A-Z_|]+)/.exec(b.body)?.[1]).find((flags) => flags !== undefined);
    const quotedCalls = new Set(
      quoted.flatMap((b) => b.body.split('\n').map((line) => QUOTED_CALL.exec(line)?.[1]).filter((name) => name !== undefined)),
    );
    found.push({ line: block.line, command: block.body, printed: output.body.trim().split('\n'), cloneFlags: clone ?? null, quotedCalls });
  });
  return found;
}

/** The reader's environment, without the test suite's choice of spawn method. */
function readerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== 'PROCESS_SPAWNER_SPAWN_METHOD') env[name] = value;
  }
  return env;
}

const sorted = (lines: string[]) => [...lines].sort();
// The spawn-options example sets uid and gid, which only root may; the kernel-without-pidfds
// example compiles a seccomp launcher whose system call numbers are x86-64's.
const needsRoot = (command: Command) => /uid: 65534/.test(command.command);
const needsX64 = (command: Command) => /without-pidfds\.c/.test(command.command);
const IS_ROOT = process.getuid?.() === 0;
const IS_X64 = process.arch === 'x64';

describe('docs/strace.md', () => {
  const all = commands();
  it('has its eight commands', () => expect(all).toHaveLength(8));

  const cases = (commands: Command[]) => commands.map((command) => [command.line, command] as const);
  const title = 'the command at line %i prints what the page shows, and traces the clone and the calls it quotes';
  const plain = all.filter((command) => !needsRoot(command) && !needsX64(command));
  it.skipIf(STRACE === null).each(cases(plain))(title, runsAsShown, 60_000);
  it.skipIf(STRACE === null || !IS_ROOT).each(cases(all.filter(needsRoot)))(title, runsAsShown, 60_000);
  it.skipIf(STRACE === null || !IS_X64).each(cases(all.filter(needsX64)))(title, runsAsShown, 60_000);
});

async function runsAsShown(_line: number, command: Command): Promise<void> {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-strace-doc-'));
  try {
    // The trace files go to a directory of the test's own; `less` becomes a file to read.
    let script = command.command.replace(/ \| less$/m, ` > ${directory}/after-marker.txt`);
    for (const file of TRACE_FILES) script = script.replaceAll(` ${file}`, ` ${directory}/${file}`);
    const run = await expectNoLeaks(() => runToCompletion('bash', ['-c', `set -e\n${script}`], { cwd: ROOT, env: readerEnv() }));
    expect(run.exit.exitCode, describeRun(run)).toBe(0);
    expect(run.stderr, describeRun(run)).toBe('');
    // Sorted: `exit 0` and `read: hello`, and the pool's two `ready` lines, may come in either order.
    expect(sorted(run.stdout.trim().split('\n'))).toEqual(sorted(command.printed));

    const traceFile = TRACE_FILES.map((file) => path.join(directory, file)).find((file) => existsSync(file));
    expect(traceFile, 'the command writes a trace').toBeDefined();
    const trace = readFileSync(traceFile as string, 'utf8');
    if (command.cloneFlags !== null) expect(trace).toContain(`flags=${command.cloneFlags}`);
    // Every system call the page quotes for this command is one its trace makes.
    const traced = new Set([...trace.matchAll(TRACED_CALL)].map((match) => match[1]));
    expect([...command.quotedCalls].filter((name) => !traced.has(name)), 'quoted calls missing from the trace').toEqual([]);
    if (script.includes('after-marker.txt')) {
      const afterMarker = readFileSync(path.join(directory, 'after-marker.txt'), 'utf8');
      expect(afterMarker.split('\n')[0]).toMatch(/write\(1, "strace-marker\\n", 14/);
      // The exit watcher and the handler, the vfork method's clone3 with its pidfd, the pidfd
      // into the set, and the reap through it.
      const explained = [
        'epoll_create1(EPOLL_CLOEXEC)',
        'O_NONBLOCK|O_CLOEXEC',
        'rt_sigaction(SIGCHLD, {sa_handler=0x',
        'clone3({flags=CLONE_VM|CLONE_PIDFD|CLONE_VFORK|CLONE_CLEAR_SIGHAND, ',
        '=> {pidfd=[',
        'EPOLL_CTL_ADD',
        'epoll_wait(',
        'waitid(P_PIDFD, ',
        'EPOLL_CTL_DEL',
      ];
      for (const call of explained) expect(afterMarker).toContain(call);
      // And what the page says is gone: no pidfd_open after the clone, no waitid(WNOWAIT) check,
      // no SA_NOCLDSTOP, no wait4 and no waitpid(-1).
      for (const call of ['pidfd_open(', 'waitid(P_PID, ', 'SA_NOCLDSTOP', 'wait4(']) expect(afterMarker).not.toContain(call);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
