// Under `strace -f`, one spawn reads as the textbook sequence: pipe2 for each pipe, the clone (the
// vfork method's, with its stack and guard page, or fork), in the child the resets, dup2 into
// 0/1/2 and execve, in the parent a pidfd for the child and, on SIGCHLD, waitid on that pidfd.
// docs/strace.md walks through the same trace line by line; every order it states is checked here.
//
// The traced process is test/fixtures/spawn-once.js, which loads the package from dist/ (built by
// test/global-setup.ts).
// It writes a marker line first, so that everything Node does at start-up can be skipped.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { describeRun, runToCompletion } from '../helpers/run';
import {
  callsOf,
  findExecutable,
  firstArgument,
  isFork,
  parseStrace,
  pipeFds,
  returned,
  type TraceEntry,
} from '../helpers/strace';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'spawn-once.js');
const STRACE = findExecutable('strace');
const STRACE_MISSING = 'strace is not installed (.ci/run installs it from Debian packages)';
// The PATH the traced Node process searches: a missing directory first, so the failure path shows
// one execve per candidate.
// Signals 1-64 less SIGKILL, SIGSTOP, and 32 and 33, which glibc keeps for itself.
const RESET_COUNT = 64 - 4;
const TRACED_PATH = '/nonexistent-process-spawner-dir:/usr/bin:/bin';

// What must never happen between fork and exec: memory allocation (brk/mmap), locks (futex), or
// anyone's code that opens, creates or writes fds (pthread_atfork handlers, stdio).
const FORBIDDEN_IN_CHILD = new Set([
  'brk', 'mmap', 'munmap', 'mprotect', 'madvise', 'futex', 'open', 'openat', 'pipe', 'pipe2',
  'socketpair', 'write', 'clone', 'clone3', 'getpid', 'gettid',
]);

// A small, known environment; PROCESS_SPAWNER_ADDON passes through, to trace another build.
function tracedEnv(spawnMethod: 'fork' | 'vfork'): Record<string, string> {
  const addon = process.env['PROCESS_SPAWNER_ADDON'];
  const env: Record<string, string> = { PATH: TRACED_PATH, PROCESS_SPAWNER_SPAWN_METHOD: spawnMethod };
  if (addon !== undefined) env['PROCESS_SPAWNER_ADDON'] = addon;
  return env;
}

interface TracedSpawn {
  /** The fixture's JSON line. */
  printed: Record<string, unknown>;
  /** The child's calls from fork on. */
  child: TraceEntry[];
  childPid: number;
  childExit: TraceEntry | undefined;
  /** The calls of the Node process's main thread (the one that wrote the marker) before and
   *  after the fork, from the marker on. */
  beforeFork: TraceEntry[];
  afterFork: TraceEntry[];
  /** Every call of every thread of the Node process. */
  everyParentThread: TraceEntry[];
  /** Every call and every signal delivery of the whole trace. */
  allCalls: TraceEntry[];
  signals: TraceEntry[];
  /** The thread's SIGCHLD self-pipe, opened before its first spawn. */
  selfPipe: { read: number; write: number } | undefined;
}

async function traceOneSpawn(args: string[], spawnMethod: 'fork' | 'vfork' = 'fork'): Promise<TracedSpawn> {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-strace-'));
  const traceFile = path.join(directory, 'trace.txt');
  try {
    const run = await expectNoLeaks(() =>
      runToCompletion(STRACE as string, ['-f', '-o', traceFile, process.execPath, FIXTURE, ...args], {
        env: tracedEnv(spawnMethod),
      }),
    );
    expect(run.exit.exitCode, describeRun(run)).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0], describeRun(run)).toBe('strace-marker');
    const printed = JSON.parse(lines[1] ?? '') as Record<string, unknown>;
    return splitTrace(parseStrace(readFileSync(traceFile, 'utf8')), printed);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function splitTrace(entries: TraceEntry[], printed: Record<string, unknown>): TracedSpawn {
  const marker = entries.find((entry) => entry.name === 'write' && entry.args.startsWith('1, "strace-marker\\n"'));
  if (marker === undefined) throw new Error('the trace has no write of the marker line');
  const parent = callsOf(entries, marker.tid).filter((entry) => entry.index > marker.index);
  const forkAt = parent.findIndex(isFork);
  const fork = parent[forkAt];
  if (fork === undefined) throw new Error(`no fork after the marker:\n${parent.map((e) => e.text).join('\n')}`);
  const childPid = returned(fork);
  const processThreads = new Set(entries.filter((entry) => entry.tid !== childPid).map((entry) => entry.tid));
  return {
    printed,
    child: callsOf(entries, childPid),
    childPid,
    childExit: entries.find((entry) => entry.tid === childPid && entry.kind === 'exit'),
    beforeFork: parent.slice(0, forkAt),
    afterFork: parent.slice(forkAt + 1),
    everyParentThread: entries.filter((entry) => entry.kind === 'call' && processThreads.has(entry.tid)),
    allCalls: entries.filter((entry) => entry.kind === 'call'),
    signals: entries.filter((entry) => entry.kind === 'signal'),
    selfPipe: parent
      .slice(0, forkAt)
      .filter((entry) => entry.name === 'pipe2' && entry.args.endsWith('O_NONBLOCK|O_CLOEXEC'))
      .map(pipeFds)[0],
  };
}

/** The calls of the spawn itself: the four pipe2 (stdin, stdout, stderr, exec-error) on. */
function spawnPipes(traced: TracedSpawn) {
  const pipes = traced.beforeFork.filter((entry) => entry.name === 'pipe2');
  expect(pipes.length, 'pipe2 calls before the fork').toBeGreaterThanOrEqual(4);
  const first = pipes[pipes.length - 4] as TraceEntry;
  const [stdin, stdout, stderr, error] = pipes.slice(-4).map(pipeFds);
  return { first, stdin: stdin!, stdout: stdout!, stderr: stderr!, error: error! };
}

function summary(entry: TraceEntry): string {
  return `${entry.name}(${entry.args}) = ${entry.result}`;
}

/** The child from fork to its last call before the program runs, checked for cleanliness. */
function expectCleanChild(child: TraceEntry[], pipes: ReturnType<typeof spawnPipes>): void {
  const forbidden = child.filter((entry) => FORBIDDEN_IN_CHILD.has(entry.name));
  expect(forbidden.map(summary), 'allocation, locks or fd creation between fork and exec').toEqual([]);

  const resets = child.filter((entry) => entry.name === 'rt_sigaction');
  expect(resets, 'one reset per signal 1-64 except SIGKILL, SIGSTOP and glibc’s 32 and 33').toHaveLength(RESET_COUNT);
  const signals = resets.map((entry) => entry.args.split(',')[0]);
  expect(new Set(signals).size).toBe(RESET_COUNT);
  expect(signals).toEqual(expect.arrayContaining(['SIGPIPE', 'SIGCHLD', 'SIGINT', 'SIGTERM', 'SIGXFSZ']));
  // The real-time signals too: anyone in the process may have a handler on SIGRTMIN+n.
  expect(signals).toEqual(expect.arrayContaining(['SIGRT_2', 'SIGRT_32']));
  expect(signals).not.toContain('SIGKILL');
  expect(signals).not.toContain('SIGSTOP');
  for (const reset of resets) {
    expect(reset.args, 'SIG_DFL, the old action not asked for').toMatch(/\{sa_handler=SIG_DFL, .*\}, NULL, 8$/);
    expect(reset.result).toBe('0');
  }

  // Slot 0 reads the first pipe; slots 1 and 2 write the next two.
  expect(child.filter((entry) => entry.name === 'dup2').map(summary)).toEqual([
    `dup2(${pipes.stdin.read}, 0) = 0`,
    `dup2(${pipes.stdout.write}, 1) = 1`,
    `dup2(${pipes.stderr.write}, 2) = 2`,
  ]);
}

/**
 * The parent right after the clone, either method: the mask restored, the child's ends closed,
 * EOF on the error pipe, a pidfd for the child checked with waitid(WNOWAIT), then the query of
 * the SIGCHLD handler. Returns the pidfd.
 */
function expectParentAfterSpawn(traced: TracedSpawn, pipes: ReturnType<typeof spawnPipes>, previousMask: string | undefined): number {
  expect(traced.afterFork.slice(0, 9).map(summary)).toEqual([
    `rt_sigprocmask(SIG_SETMASK, ${previousMask}, NULL, 8) = 0`,
    `close(${pipes.stdin.read}) = 0`,
    `close(${pipes.stdout.write}) = 0`,
    `close(${pipes.stderr.write}) = 0`,
    `close(${pipes.error.write}) = 0`,
    `read(${pipes.error.read}, "", 8) = 0`,
    `close(${pipes.error.read}) = 0`,
    expect.stringMatching(new RegExp(`^pidfd_open\\(${traced.childPid}, 0\\) = \\d+$`)),
    expect.stringMatching(new RegExp(`^waitid\\(P_PID, ${traced.childPid}, \\{\\}, WNOHANG\\|WEXITED\\|WNOWAIT, NULL\\) = 0$`)),
  ]);
  const query = traced.afterFork[9] as TraceEntry;
  expect(summary(query), 'the handler query after the spawn').toMatch(/^rt_sigaction\(SIGCHLD, NULL, \{sa_handler=0x[0-9a-f]+, .*SA_SIGINFO/);
  return returned(traced.afterFork[7] as TraceEntry);
}

/** The handler, on whichever thread took our child's SIGCHLD: gettid, one byte into the self-pipe, return. */
function expectHandlerRun(traced: TracedSpawn, selfPipe: { read: number; write: number }): void {
  const signal = traced.signals.find((entry) => entry.name === 'SIGCHLD' && entry.args.includes(`si_pid=${traced.childPid},`));
  expect(signal, 'the SIGCHLD of our child').toBeDefined();
  const handler = traced.allCalls.filter((entry) => entry.tid === signal?.tid && entry.index > (signal?.index ?? 0)).slice(0, 3);
  expect(handler.map(summary)).toEqual([
    expect.stringMatching(/^gettid\(\) = \d+$/),
    `write(${selfPipe.write}, "\\0", 1) = 1`,
    expect.stringMatching(/^rt_sigreturn\(/),
  ]);
}

describe('one spawn under strace -f', () => {
  it('shows pipe2 for each pipe, fork, dup2 into 0/1/2 and execve in the child, then waitid on its pidfd', async (context) => {
    context.skip(STRACE === null, STRACE_MISSING);
    const traced = await traceOneSpawn(['/bin/true']);
    expect(traced.printed).toEqual({ pid: traced.childPid, exitCode: 0 });
    const pipes = spawnPipes(traced);

    // The parent, from the first pipe2 to the fork: nothing else runs on this thread meanwhile.
    const spawnStart = traced.beforeFork.indexOf(pipes.first);
    const toFork = traced.beforeFork.slice(spawnStart);
    expect(toFork.map((entry) => entry.name)).toEqual([
      'pipe2', 'fcntl', 'pipe2', 'fcntl', 'pipe2', 'fcntl', 'pipe2', 'rt_sigprocmask',
    ]);
    for (const pipe of [pipes.stdin, pipes.stdout, pipes.stderr, pipes.error]) expect(pipe.flags).toBe('O_CLOEXEC');
    // Our ends become non-blocking; the child's ends and the error pipe stay blocking.
    expect(toFork.filter((entry) => entry.name === 'fcntl').map((entry) => entry.args)).toEqual([
      `${pipes.stdin.write}, F_SETFL, O_RDONLY|O_NONBLOCK`,
      `${pipes.stdout.read}, F_SETFL, O_RDONLY|O_NONBLOCK`,
      `${pipes.stderr.read}, F_SETFL, O_RDONLY|O_NONBLOCK`,
    ]);
    const block = toFork[toFork.length - 1] as TraceEntry;
    expect(block.args, 'every signal blocked across the fork').toMatch(/^SIG_SETMASK, ~\[[^\]]*\], (\[[^\]]*\]), 8$/);
    const previousMask = /, (\[[^\]]*\]), 8$/.exec(block.args)?.[1];

    // Right after the fork: the mask restored, the child's ends closed, EOF on the error pipe, the pidfd.
    expectParentAfterSpawn(traced, pipes, previousMask);

    // The child: glibc's _Fork, the resets, the dup2s, closeFds around the error pipe, the empty
    // mask, execve. Nothing else.
    const execAt = traced.child.findIndex((entry) => entry.name === 'execve');
    const beforeExec = traced.child.slice(0, execAt + 1);
    expect(beforeExec.map((entry) => entry.name)).toEqual([
      'set_robust_list',
      ...Array<string>(RESET_COUNT).fill('rt_sigaction'),
      'dup2', 'dup2', 'dup2',
      'close_range', 'close_range',
      'rt_sigprocmask',
      'execve',
    ]);
    expectCleanChild(beforeExec, pipes);
    expect(beforeExec.filter((entry) => entry.name === 'close_range').map(summary)).toEqual([
      `close_range(3, ${Number(pipes.error.write) - 1}, 0) = 0`,
      `close_range(${Number(pipes.error.write) + 1}, 4294967295, 0) = 0`,
    ]);
    expect(summary(beforeExec[beforeExec.length - 2] as TraceEntry)).toBe('rt_sigprocmask(SIG_SETMASK, [], NULL, 8) = 0');
    const exec = beforeExec[beforeExec.length - 1] as TraceEntry;
    expect(exec.args).toMatch(/^"\/bin\/true", \["\/bin\/true"\], /);
    expect(exec.result).toBe('0');
    expect(traced.childExit?.text).toBe('+++ exited with 0 +++');

    // The reap. Right after the spawn the parent holds a pidfd for the child (pidfd_open, after a
    // waitid(WNOWAIT) look that the pid is still our unreaped child), and reaps through it:
    // waitid(P_PIDFD, WNOHANG), woken by SIGCHLD, with the child's rusage. A pidfd cannot name
    // a recycled pid. A sweep may look before the child has exited: such a waitid returns 0
    // with an empty siginfo. Exactly one reports the exit, and it is the last.
    const pidfdOpen = traced.afterFork.find((entry) => entry.name === 'pidfd_open');
    expect(pidfdOpen && firstArgument(pidfdOpen)).toBe(traced.childPid);
    const pidfd = returned(pidfdOpen as TraceEntry);
    const reaps = traced.afterFork.filter((entry) => entry.name === 'waitid' && entry.args.startsWith('P_PIDFD'));
    expect(reaps.length).toBeGreaterThanOrEqual(1);
    for (const wait of reaps) expect(wait.args).toMatch(new RegExp(`^P_PIDFD, ${pidfd}, .*WNOHANG\\|WEXITED`));
    const reap = reaps[reaps.length - 1] as TraceEntry;
    expect(reap.args).toMatch(new RegExp(`si_code=CLD_EXITED, si_pid=${traced.childPid}, .*si_status=0, .*\\{ru_utime=`));
    expectHandlerRun(traced, traced.selfPipe as { read: number; write: number });

    // Never waitpid(-1) or a process group: other libraries' children are not ours to reap.
    const waits = traced.everyParentThread.filter((entry) => /^wait4$|^waitid$|^waitpid$/.test(entry.name));
    const ours = (entry: TraceEntry) =>
      entry.args.startsWith(`P_PID, ${traced.childPid}, `) || entry.args.startsWith(`P_PIDFD, ${pidfd}, `);
    expect(waits.filter((entry) => !ours(entry)).map(summary)).toEqual([]);
  });

  it.skipIf(STRACE === null).each(['fork', 'vfork'] as const)('shows, for a missing program (%s), one failed execve per PATH entry, the 8-byte report and exit 127', async (spawnMethod) => {
    const traced = await traceOneSpawn(['no-such-program-xyz', 'arg1'], spawnMethod);
    expect(traced.printed).toEqual({ error: { code: 'ENOENT', childStep: 'execvp', pid: traced.childPid } });
    const pipes = spawnPipes(traced);

    const exitAt = traced.child.findIndex((entry) => entry.name === 'exit_group');
    const child = traced.child.slice(0, exitAt + 1);
    const candidates = TRACED_PATH.split(':').map((directory) => `${directory}/no-such-program-xyz`);
    expect(child.map((entry) => entry.name)).toEqual([
      ...(spawnMethod === 'fork' ? ['set_robust_list'] : []),
      ...Array<string>(RESET_COUNT).fill('rt_sigaction'),
      'dup2', 'dup2', 'dup2',
      'close_range', 'close_range',
      'rt_sigprocmask',
      ...candidates.map(() => 'execve'),
      'write',
      'exit_group',
    ]);
    // Before the failed execs the child is as clean as on success; the one write is the report.
    expectCleanChild(child.slice(0, -2 - candidates.length), pipes);

    const execs = child.filter((entry) => entry.name === 'execve');
    expect(execs.map((entry) => /^"([^"]*)"/.exec(entry.args)?.[1])).toEqual(candidates);
    for (const exec of execs) {
      expect(exec.args).toContain('["no-such-program-xyz", "arg1"]');
      expect(exec.result).toMatch(/^-1 ENOENT /);
    }
    // { errno: ENOENT (2), step: execvp (6) } as two little-endian int32s, on the error pipe.
    const report = '"\\2\\0\\0\\0\\6\\0\\0\\0"';
    expect(summary(child[child.length - 2] as TraceEntry)).toBe(`write(${pipes.error.write}, ${report}, 8) = 8`);
    expect(summary(child[child.length - 1] as TraceEntry)).toMatch(/^exit_group\(127\) = /);
    expect(traced.childExit?.text).toBe('+++ exited with 127 +++');

    // The parent reads the 8 bytes, closes the pipe and reaps at once with a blocking wait4.
    const read = traced.afterFork.find((entry) => entry.name === 'read' && firstArgument(entry) === pipes.error.read);
    expect(read && summary(read)).toBe(`read(${pipes.error.read}, ${report}, 8) = 8`);
    const reaps = traced.afterFork.filter((entry) => entry.name === 'wait4');
    expect(reaps).toHaveLength(1);
    const reap = reaps[0] as TraceEntry;
    expect(reap.args).toMatch(
      new RegExp(`^${traced.childPid}, \\[\\{WIFEXITED\\(s\\) && WEXITSTATUS\\(s\\) == 127\\}\\], 0, \\{ru_utime=`),
    );
    expect(returned(reap)).toBe(traced.childPid);
    expect(reap.index).toBeGreaterThan((read as TraceEntry).index);
    // With the vfork method the parent thread stays suspended in clone until the child is gone.
    if (spawnMethod === 'vfork') expect((read as TraceEntry).index).toBeGreaterThan((child[child.length - 1] as TraceEntry).index);
    // Our ends of the three stdio pipes are closed too: no spawn, no fds.
    const closed = traced.afterFork.filter((entry) => entry.name === 'close').map(firstArgument);
    expect(closed).toEqual(
      expect.arrayContaining([pipes.stdin.write, pipes.stdout.read, pipes.stderr.read, pipes.error.read]),
    );
  });

  it('shows the vfork method as clone(CLONE_VM | CLONE_VFORK) with the same child path', async (context) => {
    context.skip(STRACE === null, STRACE_MISSING);
    const traced = await traceOneSpawn([], 'vfork');
    expect(traced.printed).toEqual({ pid: traced.childPid, exitCode: 0 });
    const clone = traced.everyParentThread.find(isFork);
    expect(clone?.args).toMatch(/^child_stack=0x[0-9a-f]+, flags=CLONE_VM\|CLONE_VFORK\|SIGCHLD$/);
    const pipes = spawnPipes(traced);

    // The thread's first spawn: signals blocked, then the child's stack mapped, with a PROT_NONE
    // guard page at its low end, and the clone on it.
    const toClone = traced.beforeFork.slice(traced.beforeFork.indexOf(pipes.first));
    expect(toClone.map((entry) => entry.name)).toEqual([
      'pipe2', 'fcntl', 'pipe2', 'fcntl', 'pipe2', 'fcntl', 'pipe2', 'rt_sigprocmask', 'mmap', 'mprotect',
    ]);
    const [block, stackMap, guard] = toClone.slice(-3) as [TraceEntry, TraceEntry, TraceEntry];
    expect(block.args).toMatch(/^SIG_SETMASK, ~\[[^\]]*\], (\[[^\]]*\]), 8$/);
    const size = /^NULL, (\d+), PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS\|MAP_STACK, -1, 0$/.exec(stackMap.args)?.[1];
    expect(size, summary(stackMap)).toBeDefined();
    const low = BigInt(stackMap.result);
    const guardMatch = /^(0x[0-9a-f]+), (\d+), PROT_NONE$/.exec(guard.args);
    expect(guardMatch && BigInt(guardMatch[1] as string), summary(guard)).toBe(low);
    expect(guard.result).toBe('0');
    const stackTop = BigInt(/^child_stack=(0x[0-9a-f]+)/.exec(clone?.args ?? '')?.[1] ?? '0');
    expect(stackTop > low + BigInt(guardMatch?.[2] ?? 0) && stackTop <= low + BigInt(size ?? 0)).toBe(true);
    // The parent wakes once the child is past execve, then as with fork.
    expectParentAfterSpawn(traced, pipes, /, (\[[^\]]*\]), 8$/.exec(block.args)?.[1]);
    expectHandlerRun(traced, traced.selfPipe as { read: number; write: number });
    // No set_robust_list: that is glibc's _Fork. The rest is the fork method's child path.
    const execAt = traced.child.findIndex((entry) => entry.name === 'execve');
    expect(traced.child.slice(0, execAt + 1).map((entry) => entry.name)).toEqual([
      ...Array<string>(RESET_COUNT).fill('rt_sigaction'),
      'dup2', 'dup2', 'dup2',
      'close_range', 'close_range',
      'rt_sigprocmask',
      'execve',
    ]);
    expectCleanChild(traced.child.slice(0, execAt + 1), pipes);
    expect(traced.childExit?.text).toBe('+++ exited with 0 +++');
  });
});
