// Under `strace -f`, one spawn reads as the textbook sequence. Before the thread's first spawn: its
// exit watcher (an epoll set, the SIGCHLD self-pipe in it, the handler installed over SIG_DFL with
// SA_SIGINFO|SA_RESTART and without SA_NOCLDSTOP). Then pipe2 for each pipe and clone3 with
// CLONE_PIDFD|CLONE_CLEAR_SIGHAND (the vfork method's with CLONE_VM|CLONE_VFORK, on its own stack
// above a guard page; the fork method's without); in the child the resets, dup2 into 0/1/2,
// close_range and execve; in the parent the pidfd the clone returned goes into the epoll set. At the
// exit: the handler's byte, epoll_wait on the set, waitid(P_PIDFD), EPOLL_CTL_DEL and close of the
// pidfd. Also: the child without resets (restoreSignals: false), the clone fallback when clone3 is
// refused, and a kernel without pidfds (the self-pipe as the only wake-up, wait4 on the pid).
// docs/strace.md walks through the same traces line by line; every order it states is checked here.
//
// The traced process is test/fixtures/spawn-once.js, which loads the package from dist/ (built by
// test/global-setup.ts). It writes a marker line first, so that everything Node does at start-up
// can be skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'spawn-once.js');
const STRACE = findExecutable('strace');
// Signals 1-64 less SIGKILL, SIGSTOP, and 32 and 33, which glibc keeps for itself.
const RESET_COUNT = 64 - 4;
// The PATH the traced Node process searches: a missing directory first, so the failure path shows
// one execve per candidate.
const TRACED_PATH = '/nonexistent-process-spawner-dir:/usr/bin:/bin';
// The epoll key of the self-pipe in the exit watcher's set (children count up from 1).
const SELF_PIPE_KEY = '18446744073709551615';

// What must never happen between the clone and exec: memory allocation (brk/mmap), locks (futex),
// or anyone's code that opens, creates or writes fds (pthread_atfork handlers, stdio).
const FORBIDDEN_IN_CHILD = new Set([
  'brk', 'mmap', 'munmap', 'mprotect', 'madvise', 'futex', 'open', 'openat', 'pipe', 'pipe2',
  'socketpair', 'write', 'clone', 'clone3', 'getpid', 'gettid', 'epoll_create1', 'epoll_ctl',
  'pidfd_open', 'eventfd2', 'dup', 'dup3',
]);

type Method = 'fork' | 'vfork';

interface TraceSettings {
  spawnMethod: Method;
  /** spawn()'s options, as JSON. */
  options?: Record<string, unknown>;
  /** Spawns, one after another. */
  times?: number;
  /** Extra strace arguments (fault injection). */
  straceArgs?: string[];
  /** A program that runs Node (the without-pidfds launcher). */
  launcher?: string;
}

// A small, known environment; PROCESS_SPAWNER_ADDON passes through, to trace another build.
function tracedEnv(settings: TraceSettings): Record<string, string> {
  const env: Record<string, string> = { PATH: TRACED_PATH, PROCESS_SPAWNER_SPAWN_METHOD: settings.spawnMethod };
  const addon = process.env['PROCESS_SPAWNER_ADDON'];
  if (addon !== undefined) env['PROCESS_SPAWNER_ADDON'] = addon;
  if (settings.options !== undefined) env['SPAWN_ONCE_OPTIONS'] = JSON.stringify(settings.options);
  if (settings.times !== undefined) env['SPAWN_ONCE_TIMES'] = String(settings.times);
  return env;
}

interface TracedSpawn {
  /** The fixture's JSON lines, one per spawn. */
  printed: Record<string, unknown>[];
  /** The first spawn's child: its calls, from the clone on. */
  child: TraceEntry[];
  childPid: number;
  childExit: TraceEntry | undefined;
  /** Every clone of a process by the main thread after the marker (failed attempts included). */
  clones: TraceEntry[];
  /** The clone that made the first child, and the pidfd it returned (NaN without one). */
  clone: TraceEntry;
  pidfd: number;
  /** The calls of the Node process's main thread (the one that wrote the marker) before its first
   *  clone attempt and after the clone that made the child, from the marker on. */
  beforeFork: TraceEntry[];
  afterFork: TraceEntry[];
  /** Every call of every thread of the Node process. */
  everyParentThread: TraceEntry[];
  /** Every call and every signal delivery of the whole trace. */
  allCalls: TraceEntry[];
  signals: TraceEntry[];
}

async function traceSpawns(args: string[], settings: TraceSettings): Promise<TracedSpawn> {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-strace-'));
  const traceFile = path.join(directory, 'trace.txt');
  const node = settings.launcher === undefined ? [process.execPath] : [settings.launcher, process.execPath];
  try {
    const run = await expectNoLeaks(() =>
      runToCompletion(STRACE as string, ['-f', '-o', traceFile, ...(settings.straceArgs ?? []), ...node, FIXTURE, ...args], {
        env: tracedEnv(settings),
      }),
    );
    expect(run.exit.exitCode, describeRun(run)).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0], describeRun(run)).toBe('strace-marker');
    const printed = lines.slice(1).map((line) => JSON.parse(line) as Record<string, unknown>);
    return splitTrace(parseStrace(readFileSync(traceFile, 'utf8')), printed);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const traceOneSpawn = (args: string[], spawnMethod: Method, settings: Partial<TraceSettings> = {}) =>
  traceSpawns(args, { ...settings, spawnMethod });

function splitTrace(entries: TraceEntry[], printed: Record<string, unknown>[]): TracedSpawn {
  const marker = entries.find((entry) => entry.name === 'write' && entry.args.startsWith('1, "strace-marker\\n"'));
  if (marker === undefined) throw new Error('the trace has no write of the marker line');
  const parent = withoutHandlerRuns(entries, marker.tid).filter((entry) => entry.index > marker.index && !isHeapHousekeeping(entry));
  const firstAttempt = parent.findIndex(isFork);
  const forkAt = parent.findIndex((entry) => isFork(entry) && returned(entry) > 0);
  const fork = parent[forkAt];
  if (fork === undefined) throw new Error(`no clone after the marker:\n${parent.map((e) => e.text).join('\n')}`);
  const childPid = returned(fork);
  // Node's threads: every tid but the processes its main thread made.
  const children = new Set(parent.filter(isFork).map(returned));
  const processThreads = new Set(entries.filter((entry) => !children.has(entry.tid)).map((entry) => entry.tid));
  return {
    printed,
    child: callsOf(entries, childPid),
    childPid,
    childExit: entries.find((entry) => entry.tid === childPid && entry.kind === 'exit'),
    clones: parent.filter(isFork),
    clone: fork,
    pidfd: pidfdOf(fork),
    beforeFork: parent.slice(0, firstAttempt),
    afterFork: parent.slice(forkAt + 1),
    everyParentThread: entries.filter((entry) => entry.kind === 'call' && processThreads.has(entry.tid)),
    allCalls: entries.filter((entry) => entry.kind === 'call'),
    signals: entries.filter((entry) => entry.kind === 'signal'),
  };
}

/**
 * The calls of one thread, less those made inside a signal handler (from a signal's delivery to
 * its rt_sigreturn): the SIGCHLD handler may run on any thread, at any point of its sequence.
 * expectHandlerRun() checks what the handler does. A signal whose action was SIG_DFL or SIG_IGN
 * when it came (SIGCHLD once libuv has given it back) runs no handler.
 */
function withoutHandlerRuns(entries: TraceEntry[], tid: number): TraceEntry[] {
  const children = new Set(entries.filter((entry) => isFork(entry) && returned(entry) > 0).map(returned));
  const handled = new Map<string, boolean>();
  const spans: [number, number][] = [];
  const calls = callsOf(entries, tid);
  for (const entry of entries) {
    if (children.has(entry.tid)) continue;
    const set = entry.kind === 'call' && entry.name === 'rt_sigaction' ? /^(\w+), \{sa_handler=(\w+),/.exec(entry.args) : null;
    if (set !== null) handled.set(set[1] as string, set[2] !== 'SIG_DFL' && set[2] !== 'SIG_IGN');
    if (entry.kind === 'signal' && entry.tid === tid && handled.get(entry.name) === true) {
      const end = calls.find((call) => call.name === 'rt_sigreturn' && call.index > entry.index)?.index ?? Infinity;
      spans.push([entry.index, end]);
    }
  }
  return calls.filter((entry) => !spans.some(([from, to]) => entry.index > from && entry.index <= to));
}

/**
 * malloc's and V8's memory calls, which may fall anywhere in the main thread's sequence (glibc
 * trims its heap on a free): not the spawn's. The vfork method's stack (MAP_STACK) and its guard
 * page (PROT_NONE) are kept.
 */
function isHeapHousekeeping(entry: TraceEntry): boolean {
  if (entry.name === 'brk' || entry.name === 'madvise' || entry.name === 'munmap') return true;
  if (entry.name === 'mmap') return !entry.args.includes('MAP_STACK');
  if (entry.name === 'mprotect') return !entry.args.endsWith('PROT_NONE');
  return false;
}

/** The pidfd a clone returned: clone3's `=> {pidfd=[N]}`, clone's `parent_tid=[N]` with CLONE_PIDFD. */
function pidfdOf(clone: TraceEntry): number {
  const fromClone3 = /=> \{pidfd=\[(\d+)\]\}/.exec(clone.args)?.[1];
  const fromClone = clone.args.includes('CLONE_PIDFD') ? /parent_tid=\[(\d+)\]/.exec(clone.args)?.[1] : undefined;
  return Number(fromClone3 ?? fromClone ?? Number.NaN);
}

function summary(entry: TraceEntry): string {
  return `${entry.name}(${entry.args}) = ${entry.result}`;
}

interface ExitWatcher {
  epoll: number;
  selfPipe: { read: number; write: number };
  handler: string;
}

/**
 * The thread's exit watcher, made before its first spawn, in this order: the epoll set, the
 * self-pipe, the self-pipe's read end into the set, a look at SIGCHLD (SIG_DFL: nobody's), and our
 * handler installed over it. Then only libuv's uv_poll on the epoll fd, until the spawn's pipes.
 */
function expectExitWatcher(traced: TracedSpawn, firstPipe: TraceEntry): ExitWatcher {
  const start = traced.beforeFork.findIndex((entry) => entry.name === 'epoll_create1');
  expect(start, 'epoll_create1 before the first spawn').toBeGreaterThanOrEqual(0);
  const setup = traced.beforeFork.slice(start, start + 5);
  const epoll = returned(setup[0] as TraceEntry);
  const selfPipe = pipeFds(setup[1] as TraceEntry);
  expect(setup.map(summary)).toEqual([
    `epoll_create1(EPOLL_CLOEXEC) = ${epoll}`,
    `pipe2([${selfPipe.read}, ${selfPipe.write}], O_NONBLOCK|O_CLOEXEC) = 0`,
    `epoll_ctl(${epoll}, EPOLL_CTL_ADD, ${selfPipe.read}, {events=EPOLLIN, data={u32=4294967295, u64=${SELF_PIPE_KEY}}}) = 0`,
    'rt_sigaction(SIGCHLD, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0',
    expect.stringMatching(
      /^rt_sigaction\(SIGCHLD, \{sa_handler=0x[0-9a-f]+, sa_mask=~\[RTMIN RT_1\], sa_flags=SA_RESTORER\|SA_RESTART\|SA_SIGINFO, sa_restorer=0x[0-9a-f]+\}, \{sa_handler=SIG_DFL, sa_mask=\[\], sa_flags=0\}, 8\) = 0$/,
    ),
  ]);
  const install = setup[4] as TraceEntry;
  expect(install.args, 'stops and continues stay reported to everyone').not.toContain('SA_NOCLDSTOP');
  const handler = /^SIGCHLD, \{sa_handler=(0x[0-9a-f]+),/.exec(install.args)?.[1] as string;
  // libuv's uv_poll_init and uv_poll_start on the epoll fd: nothing else until the spawn's pipes.
  const between = traced.beforeFork.slice(start + 5, traced.beforeFork.indexOf(firstPipe));
  for (const entry of between) {
    expect(summary(entry), 'only the event loop taking up the epoll fd').toMatch(
      new RegExp(`^(epoll_ctl\\(\\d+, EPOLL_CTL_(ADD|DEL), ${epoll}, |ioctl\\(${epoll}, FIONBIO, \\[1\\]\\))`),
    );
  }
  return { epoll, selfPipe, handler };
}

/** The calls of the spawn itself: the four pipe2 (stdin, stdout, stderr, exec-error) on. */
function spawnPipes(traced: TracedSpawn) {
  const pipes = traced.beforeFork.filter((entry) => entry.name === 'pipe2' && !entry.args.includes('O_NONBLOCK'));
  expect(pipes.length, 'pipe2 calls before the clone').toBeGreaterThanOrEqual(4);
  const first = pipes[pipes.length - 4] as TraceEntry;
  const [stdin, stdout, stderr, error] = pipes.slice(-4).map(pipeFds);
  return { first, stdin: stdin!, stdout: stdout!, stderr: stderr!, error: error! };
}
type Pipes = ReturnType<typeof spawnPipes>;

/** From the first pipe2 to the clone: the pipes, our ends non-blocking, every signal blocked. Returns the old mask. */
function expectParentBeforeClone(traced: TracedSpawn, pipes: Pipes, method: Method): string {
  const toClone = traced.beforeFork.slice(traced.beforeFork.indexOf(pipes.first));
  expect(toClone.map((entry) => entry.name)).toEqual([
    'pipe2', 'fcntl', 'pipe2', 'fcntl', 'pipe2', 'fcntl', 'pipe2', 'rt_sigprocmask',
    // The vfork method's stack, mapped at the thread's first spawn, with a guard page below it.
    ...(method === 'vfork' ? ['mmap', 'mprotect'] : []),
  ]);
  for (const pipe of [pipes.stdin, pipes.stdout, pipes.stderr, pipes.error]) expect(pipe.flags).toBe('O_CLOEXEC');
  // Our ends become non-blocking; the child's ends and the error pipe stay blocking.
  expect(toClone.filter((entry) => entry.name === 'fcntl').map((entry) => entry.args)).toEqual([
    `${pipes.stdin.write}, F_SETFL, O_RDONLY|O_NONBLOCK`,
    `${pipes.stdout.read}, F_SETFL, O_RDONLY|O_NONBLOCK`,
    `${pipes.stderr.read}, F_SETFL, O_RDONLY|O_NONBLOCK`,
  ]);
  const block = toClone[7] as TraceEntry;
  expect(block.args, 'every signal blocked across the clone').toMatch(/^SIG_SETMASK, ~\[[^\]]*\], (\[[^\]]*\]), 8$/);
  return /, (\[[^\]]*\]), 8$/.exec(block.args)?.[1] as string;
}

/** clone3 with the pidfd written back: the vfork method's on its own stack (checked against the mapping), or the fork method's. */
function expectClone3(traced: TracedSpawn, method: Method): void {
  expect(traced.clones, 'one clone: clone3 worked').toEqual([traced.clone]);
  expect(traced.clone.name).toBe('clone3');
  if (method === 'fork') {
    expect(traced.clone.args).toMatch(
      /^\{flags=CLONE_PIDFD\|CLONE_CLEAR_SIGHAND, pidfd=0x[0-9a-f]+, exit_signal=SIGCHLD, stack=NULL, stack_size=0\} => \{pidfd=\[\d+\]\}, 88$/,
    );
    return;
  }
  const match =
    /^\{flags=CLONE_VM\|CLONE_PIDFD\|CLONE_VFORK\|CLONE_CLEAR_SIGHAND, pidfd=0x[0-9a-f]+, exit_signal=SIGCHLD, stack=(0x[0-9a-f]+), stack_size=(0x[0-9a-f]+)\} => \{pidfd=\[\d+\]\}, 88$/.exec(
      traced.clone.args,
    );
  expect(match, summary(traced.clone)).not.toBeNull();
  // The stack: the mapping's lowest page is the guard (PROT_NONE); clone3 gets the 64 KiB above it.
  const [stackMap, guard] = traced.beforeFork.slice(-2) as [TraceEntry, TraceEntry];
  const size = /^NULL, (\d+), PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS\|MAP_STACK, -1, 0$/.exec(stackMap.args)?.[1];
  expect(size, summary(stackMap)).toBeDefined();
  const low = BigInt(stackMap.result);
  const guardMatch = /^(0x[0-9a-f]+), (\d+), PROT_NONE$/.exec(guard.args);
  expect(guardMatch && BigInt(guardMatch[1] as string), summary(guard)).toBe(low);
  expect(guard.result).toBe('0');
  const guardSize = BigInt(guardMatch?.[2] ?? 0);
  expect(BigInt(match?.[1] ?? 0), 'the stack starts right above the guard page').toBe(low + guardSize);
  expect(BigInt(match?.[2] ?? 0), 'and fills the rest of the mapping').toBe(BigInt(size ?? 0) - guardSize);
  expect(BigInt(match?.[2] ?? 0)).toBe(64n * 1024n);
}

/**
 * The parent right after the clone, either method: the mask restored, the child's ends closed,
 * EOF on the error pipe, then the pidfd the clone returned into the thread's epoll set. No
 * pidfd_open, no waitid(WNOWAIT), no look at the SIGCHLD handler.
 */
function expectParentAfterSpawn(traced: TracedSpawn, pipes: Pipes, previousMask: string, watcher: ExitWatcher): string {
  const added = traced.afterFork[7] as TraceEntry;
  const key = /data=\{u32=\d+, u64=(\d+)\}/.exec(added.args)?.[1] as string;
  expect(traced.afterFork.slice(0, 8).map(summary)).toEqual([
    `rt_sigprocmask(SIG_SETMASK, ${previousMask}, NULL, 8) = 0`,
    `close(${pipes.stdin.read}) = 0`,
    `close(${pipes.stdout.write}) = 0`,
    `close(${pipes.stderr.write}) = 0`,
    `close(${pipes.error.write}) = 0`,
    `read(${pipes.error.read}, "", 8) = 0`,
    `close(${pipes.error.read}) = 0`,
    `epoll_ctl(${watcher.epoll}, EPOLL_CTL_ADD, ${traced.pidfd}, {events=EPOLLIN, data={u32=${key}, u64=${key}}}) = 0`,
  ]);
  expect(Number(key)).toBeGreaterThanOrEqual(1);
  return key;
}

/** The child from the clone to its last call before the program runs, checked for cleanliness. */
function expectCleanChild(child: TraceEntry[], pipes: Pipes): void {
  const forbidden = child.filter((entry) => FORBIDDEN_IN_CHILD.has(entry.name));
  expect(forbidden.map(summary), 'allocation, locks or fd creation between the clone and exec').toEqual([]);
  // Slot 0 reads the first pipe; slots 1 and 2 write the next two.
  expect(child.filter((entry) => entry.name === 'dup2').map(summary)).toEqual([
    `dup2(${pipes.stdin.read}, 0) = 0`,
    `dup2(${pipes.stdout.write}, 1) = 1`,
    `dup2(${pipes.stderr.write}, 2) = 2`,
  ]);
  // closeFds: everything from 3 up but the error pipe's write end.
  expect(child.filter((entry) => entry.name === 'close_range').map(summary)).toEqual([
    `close_range(3, ${pipes.error.write - 1}, 0) = 0`,
    `close_range(${pipes.error.write + 1}, 4294967295, 0) = 0`,
  ]);
}

/** restoreSignals (the default): SIG_DFL written to every signal, ignored ones included, old actions not asked for. */
function expectEveryDispositionReset(child: TraceEntry[]): void {
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
}

/**
 * restoreSignals: false without CLONE_CLEAR_SIGHAND (the clone fallback): each signal is asked for,
 * and only a handler is reset, right after its query; ignored signals stay ignored.
 */
function expectOnlyHandlersReset(child: TraceEntry[]): void {
  const calls = child.filter((entry) => entry.name === 'rt_sigaction');
  const queries = calls.filter((entry) => /^\w+, NULL, \{/.test(entry.args));
  expect(queries, 'one query per signal 1-64 except SIGKILL, SIGSTOP and glibc’s 32 and 33').toHaveLength(RESET_COUNT);
  const resetAfter: string[] = [];
  calls.forEach((entry, i) => {
    if (!queries.includes(entry)) {
      const query = calls[i - 1] as TraceEntry;
      const signal = entry.args.split(',')[0] as string;
      expect(query.args.split(',')[0], 'a reset follows the query of its signal').toBe(signal);
      expect(entry.args).toMatch(/\{sa_handler=SIG_DFL, .*\}, NULL, 8$/);
      resetAfter.push(signal);
    }
  });
  const handled = queries
    .filter((entry) => !/NULL, \{sa_handler=SIG_(DFL|IGN),/.test(entry.args))
    .map((entry) => entry.args.split(',')[0] as string);
  expect(resetAfter, 'exactly the signals that had a handler').toEqual(handled);
  expect(handled, 'ours on SIGCHLD among them').toContain('SIGCHLD');
  const pipe = queries.find((entry) => entry.args.startsWith('SIGPIPE,'));
  expect(pipe?.args, 'Node ignores SIGPIPE, and it stays ignored').toMatch(/NULL, \{sa_handler=SIG_IGN,/);
}

/** The handler, on whichever thread took our child's SIGCHLD: one byte into the self-pipe, and return. */
function expectHandlerRun(traced: TracedSpawn, watcher: ExitWatcher): void {
  const signal = traced.signals.find((entry) => entry.name === 'SIGCHLD' && entry.args.includes(`si_pid=${traced.childPid},`));
  expect(signal, 'the SIGCHLD of our child').toBeDefined();
  const handler = traced.allCalls.filter((entry) => entry.tid === signal?.tid && entry.index > (signal?.index ?? 0)).slice(0, 2);
  expect(handler.map(summary)).toEqual([
    `write(${watcher.selfPipe.write}, "\\0", 1) = 1`,
    expect.stringMatching(/^rt_sigreturn\(/),
  ]);
}

/**
 * Each wake-up of the exit watcher: one epoll_wait(set, 64 events, timeout 0), then, in the order
 * it lists them, for each ready child its reap through the pidfd, EPOLL_CTL_DEL and close; for the
 * self-pipe, one read (more only while a read fills the 256-byte buffer). Then, for a child without a pidfd (`byPid`) not reaped yet, when
 * the self-pipe was read: wait4(pid, WNOHANG). Nothing else between. Returns the wake-ups' entries.
 */
function expectWakeUps(
  traced: TracedSpawn,
  watcher: ExitWatcher,
  children: Map<string, { pidfd: number; pid: number }>,
  byPid?: number,
): TraceEntry[] {
  // The child without a pidfd may also be reaped by the 50 ms tick, between two wake-ups.
  const reapedByPid = traced.afterFork.find((entry) => entry.name === 'wait4' && returned(entry) === byPid);
  const calls = traced.afterFork;
  const wakeUps = calls.filter((entry) => entry.name === 'epoll_wait' && firstArgument(entry) === watcher.epoll);
  for (const wakeUp of wakeUps) {
    expect(wakeUp.args).toMatch(/\], 64, 0$/);
    const keys = [...wakeUp.args.matchAll(/data=\{u32=\d+, u64=(\d+)\}/g)].map((match) => match[1] as string);
    expect(keys.length, summary(wakeUp)).toBe(returned(wakeUp));
    let at = calls.indexOf(wakeUp) + 1;
    for (const key of keys) {
      if (key === SELF_PIPE_KEY) {
        // One read of up to 256 bytes; another only after a read that filled the buffer.
        let reads = 0;
        for (;;) {
          const read = calls[at + reads] as TraceEntry;
          expect(summary(read)).toMatch(new RegExp(`^read\\(${watcher.selfPipe.read}, (".*"|0x[0-9a-f]+), 256\\) = `));
          reads++;
          if (returned(read) !== 256) {
            expect(summary(read), 'the last read takes what is left').toMatch(/ = ([1-9]\d*|-1 EAGAIN .*)$/);
            break;
          }
        }
        at += reads;
        continue;
      }
      const child = children.get(key);
      expect(child, `a key of ours: ${summary(wakeUp)}`).toBeDefined();
      const { pidfd, pid } = child as { pidfd: number; pid: number };
      expect(calls.slice(at, at + 3).map(summary)).toEqual([
        expect.stringMatching(
          new RegExp(`^waitid\\(P_PIDFD, ${pidfd}, \\{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=${pid}, .*\\}, WNOHANG\\|WEXITED, \\{ru_utime=.*\\) = 0$`),
        ),
        `epoll_ctl(${watcher.epoll}, EPOLL_CTL_DEL, ${pidfd}, NULL) = 0`,
        `close(${pidfd}) = 0`,
      ]);
      children.delete(key);
      at += 3;
    }
    if (byPid !== undefined && keys.includes(SELF_PIPE_KEY) && (reapedByPid === undefined || reapedByPid.index > wakeUp.index)) {
      expect(summary(calls[at] as TraceEntry)).toMatch(new RegExp(`^wait4\\(${byPid}, .*, WNOHANG, .*\\) = (0|${byPid})$`));
      at += 1;
    }
    // Whatever the thread does next is not the watcher's: no further read of the set or reap.
    const next = calls[at];
    if (next !== undefined) expect(['waitid', 'wait4', 'epoll_wait']).not.toContain(next.name);
  }
  expect([...children.keys()], 'every child reaped by a wake-up of the set').toEqual([]);
  if (byPid !== undefined) expect(reapedByPid, 'the child without a pidfd reaped').toBeDefined();
  return wakeUps;
}

/** Never waitpid(-1), a process group, or a pid: every wait of the process is on the pidfd of a child of ours. */
function expectOnlyPidfdWaits(traced: TracedSpawn, pidfds: number[]): void {
  const waits = traced.everyParentThread.filter((entry) => /^wait4$|^waitid$|^waitpid$/.test(entry.name));
  expect(waits.length).toBeGreaterThanOrEqual(1);
  const ours = (entry: TraceEntry) => pidfds.some((pidfd) => entry.name === 'waitid' && entry.args.startsWith(`P_PIDFD, ${pidfd}, `));
  expect(waits.filter((entry) => !ours(entry)).map(summary)).toEqual([]);
}

/** The SIGCHLD handler is installed once, before the first spawn, and never again (no re-install, by us or anyone). */
function expectOneInstall(traced: TracedSpawn): void {
  const sets = traced.everyParentThread.filter((entry) => entry.name === 'rt_sigaction' && /^SIGCHLD, \{/.test(entry.args));
  expect(sets).toHaveLength(1);
}

/**
 * The main thread's teardown of its watcher: is this the process's main thread (gettid, getpid:
 * yes, so nothing goes to the orphanage), the event loop lets go of the set, then the self-pipe's
 * write end (out of the handler's list), its read end and the set are closed, in that order.
 */
function expectMainThreadTeardown(traced: TracedSpawn, watcher: ExitWatcher): void {
  const release = traced.afterFork.findIndex((entry) => entry.name === 'epoll_ctl' && entry.args.includes(`EPOLL_CTL_DEL, ${watcher.epoll}, `));
  expect(release, 'the event loop lets go of the set').toBeGreaterThan(0);
  expect(traced.afterFork.slice(release - 2, release).map(summary)).toEqual([
    expect.stringMatching(/^gettid\(\) = \d+$/),
    expect.stringMatching(/^getpid\(\) = \d+$/),
  ]);
  const closes = traced.afterFork
    .slice(release)
    .filter((entry) => entry.name === 'close' && [watcher.selfPipe.write, watcher.selfPipe.read, watcher.epoll].includes(firstArgument(entry)));
  expect(closes.map(summary)).toEqual([
    `close(${watcher.selfPipe.write}) = 0`,
    `close(${watcher.selfPipe.read}) = 0`,
    `close(${watcher.epoll}) = 0`,
  ]);
  expect(traced.everyParentThread.filter((entry) => entry.index > (traced.afterFork[release] as TraceEntry).index && entry.name === 'clone3'), 'no thread started by the teardown').toEqual([]);
}

/** The child path up to execve, by call name: the resets (or not), the dup2s, closeFds, the mask, execve. */
function childPath(traced: TracedSpawn): TraceEntry[] {
  const execAt = traced.child.findIndex((entry) => entry.name === 'execve');
  return traced.child.slice(0, execAt + 1);
}
const AFTER_RESETS = ['dup2', 'dup2', 'dup2', 'close_range', 'close_range', 'rt_sigprocmask', 'execve'];

describe('one spawn under strace -f', () => {
  it.skipIf(STRACE === null).each(['vfork', 'fork'] as const)(
    'shows (%s) the exit watcher, pipe2 for each pipe, clone3 with its pidfd, the child’s resets, dup2 and execve, then the reap through the epoll set',
    async (method) => {
      const traced = await traceOneSpawn(['/bin/true'], method);
      expect(traced.printed).toEqual([{ pid: traced.childPid, exitCode: 0 }]);
      const pipes = spawnPipes(traced);
      const watcher = expectExitWatcher(traced, pipes.first);
      const previousMask = expectParentBeforeClone(traced, pipes, method);
      expectClone3(traced, method);
      const key = expectParentAfterSpawn(traced, pipes, previousMask, watcher);
      expect(key, 'the thread’s first child').toBe('1');

      // The child: CLONE_CLEAR_SIGHAND has reset the handlers, but restoreSignals (the default)
      // resets the ignored signals too, so SIG_DFL is written to every one; then the dup2s,
      // closeFds around the error pipe, the empty mask, execve. Nothing else: no set_robust_list
      // either (that is glibc's _Fork, and clone3 is made without it).
      const beforeExec = childPath(traced);
      expect(beforeExec.map((entry) => entry.name)).toEqual([...Array<string>(RESET_COUNT).fill('rt_sigaction'), ...AFTER_RESETS]);
      expectCleanChild(beforeExec, pipes);
      expectEveryDispositionReset(beforeExec);
      expect(summary(beforeExec[beforeExec.length - 2] as TraceEntry)).toBe('rt_sigprocmask(SIG_SETMASK, [], NULL, 8) = 0');
      const exec = beforeExec[beforeExec.length - 1] as TraceEntry;
      expect(exec.args).toMatch(/^"\/bin\/true", \["\/bin\/true"\], /);
      expect(exec.result).toBe('0');
      expect(traced.childExit?.text).toBe('+++ exited with 0 +++');
      // With the vfork method the parent thread stays suspended in clone3 until the child has exec'd.
      if (method === 'vfork') expect(traced.afterFork[0]?.index).toBeGreaterThan(exec.index);

      // The exit: the handler writes its byte; the event loop, woken by the epoll set (its fd is
      // watched by libuv's own epoll), reads the set once and reaps exactly the exited child.
      expectHandlerRun(traced, watcher);
      const wakeUps = expectWakeUps(traced, watcher, new Map([[key, { pidfd: traced.pidfd, pid: traced.childPid }]]));
      const reaping = wakeUps.find((entry) => entry.args.includes(`u64=${key}}`)) as TraceEntry;
      const loopWait = traced.afterFork
        .slice(0, traced.afterFork.indexOf(reaping))
        .filter((entry) => entry.name === 'epoll_pwait')
        .pop();
      expect(loopWait?.args, 'the event loop woke with the epoll set readable').toContain(`data={u32=${watcher.epoll}, u64=${watcher.epoll}}`);
      expectOnlyPidfdWaits(traced, [traced.pidfd]);
      expectOneInstall(traced);
      // Gone for good: no pidfd_open and no waitid(P_PID, WNOWAIT) after the clone.
      expect(traced.everyParentThread.filter((entry) => entry.name === 'pidfd_open').map(summary)).toEqual([]);
      expectMainThreadTeardown(traced, watcher);
    },
  );

  it.skipIf(STRACE === null).each(['fork', 'vfork'] as const)('shows, for a missing program (%s), one failed execve per PATH entry, the 8-byte report, exit 127 and a blocking waitid on the pidfd', async (spawnMethod) => {
    const traced = await traceOneSpawn(['no-such-program-xyz', 'arg1'], spawnMethod);
    expect(traced.printed).toEqual([{ error: { code: 'ENOENT', childStep: 'execvp', pid: traced.childPid } }]);
    const pipes = spawnPipes(traced);
    expectClone3(traced, spawnMethod);

    const exitAt = traced.child.findIndex((entry) => entry.name === 'exit_group');
    const child = traced.child.slice(0, exitAt + 1);
    const candidates = TRACED_PATH.split(':').map((directory) => `${directory}/no-such-program-xyz`);
    expect(child.map((entry) => entry.name)).toEqual([
      ...Array<string>(RESET_COUNT).fill('rt_sigaction'),
      ...AFTER_RESETS.slice(0, -1),
      ...candidates.map(() => 'execve'),
      'write',
      'exit_group',
    ]);
    // Before the failed execs the child is as clean as on success; the one write is the report.
    expectCleanChild(child.slice(0, -2 - candidates.length), pipes);
    expectEveryDispositionReset(child);

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

    // The parent reads the 8 bytes, closes the pipe, reaps at once through the pidfd (blocking:
    // no WNOHANG, for a child that is already exiting), closes the pidfd and its ends of the
    // three stdio pipes. The child never joins the epoll set.
    const read = traced.afterFork.find((entry) => entry.name === 'read' && firstArgument(entry) === pipes.error.read) as TraceEntry;
    const afterRead = traced.afterFork.slice(traced.afterFork.indexOf(read), traced.afterFork.indexOf(read) + 7);
    expect(afterRead.map(summary)).toEqual([
      `read(${pipes.error.read}, ${report}, 8) = 8`,
      `close(${pipes.error.read}) = 0`,
      expect.stringMatching(
        new RegExp(
          `^waitid\\(P_PIDFD, ${traced.pidfd}, \\{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=${traced.childPid}, .*si_status=127, .*\\}, WEXITED, \\{ru_utime=.*\\) = 0$`,
        ),
      ),
      `close(${traced.pidfd}) = 0`,
      `close(${pipes.stdin.write}) = 0`,
      `close(${pipes.stdout.read}) = 0`,
      `close(${pipes.stderr.read}) = 0`,
    ]);
    // With the vfork method the parent thread stays suspended in clone3 until the child is gone.
    if (spawnMethod === 'vfork') expect(read.index).toBeGreaterThan((child[child.length - 1] as TraceEntry).index);
    expect(traced.everyParentThread.filter((entry) => entry.name === 'epoll_ctl' && entry.args.includes(`EPOLL_CTL_ADD, ${traced.pidfd}, `))).toEqual([]);
    expectOnlyPidfdWaits(traced, [traced.pidfd]);
  });

  it.skipIf(STRACE === null).each(['vfork', 'fork'] as const)(
    'shows (%s) a child that makes no sigaction at all with restoreSignals: false: CLONE_CLEAR_SIGHAND has reset the handlers',
    async (method) => {
      const traced = await traceOneSpawn(['/bin/true'], method, { options: { restoreSignals: false } });
      expect(traced.printed).toEqual([{ pid: traced.childPid, exitCode: 0 }]);
      const pipes = spawnPipes(traced);
      const previousMask = expectParentBeforeClone(traced, pipes, method);
      expectClone3(traced, method);
      const beforeExec = childPath(traced);
      expect(beforeExec.map((entry) => entry.name)).toEqual(AFTER_RESETS);
      expectCleanChild(beforeExec, pipes);
      // The exec mask is the spawning thread's own, from before the clone.
      expect(summary(beforeExec[beforeExec.length - 2] as TraceEntry)).toBe(`rt_sigprocmask(SIG_SETMASK, ${previousMask}, NULL, 8) = 0`);
    },
  );

  it.skipIf(STRACE === null).each(['vfork', 'fork'] as const)(
    'falls back (%s) to clone with CLONE_PIDFD when clone3 is refused (ENOSYS), once for the process, and the child resets its handlers itself',
    async (method) => {
      // Every clone3 fails: glibc makes Node's threads with clone instead, as on a kernel before 5.3.
      const traced = await traceOneSpawn(['/bin/true'], method, {
        options: { restoreSignals: false },
        times: 2,
        straceArgs: ['--inject=clone3:error=ENOSYS'],
      });
      expect(traced.printed).toHaveLength(2);
      for (const printed of traced.printed) expect(printed).toMatchObject({ exitCode: 0 });
      const [refused, made, second] = traced.clones;
      expect(traced.clones, 'clone3 tried once, then clone for both spawns').toHaveLength(3);
      expect(summary(refused as TraceEntry)).toMatch(/^clone3\(\{flags=.*CLONE_PIDFD.*CLONE_CLEAR_SIGHAND.*\}, 88\) = -1 ENOSYS .*\(INJECTED\)$/);
      const flags = method === 'vfork' ? 'child_stack=0x[0-9a-f]+, flags=CLONE_VM\\|CLONE_PIDFD\\|CLONE_VFORK\\|SIGCHLD' : 'child_stack=NULL, flags=CLONE_PIDFD\\|SIGCHLD';
      for (const clone of [made, second]) expect(summary(clone as TraceEntry)).toMatch(new RegExp(`^clone\\(${flags}, parent_tid=\\[\\d+\\]\\) = \\d+$`));
      expect(made).toBe(traced.clone);
      expect(traced.pidfd).toBeGreaterThan(2);
      // The vfork method keeps its stack; only the call changes (glibc's clone() on it).
      if (method === 'vfork') expect(traced.beforeFork.slice(-2).map((entry) => entry.name)).toEqual(['mmap', 'mprotect']);

      const pipes = spawnPipes(traced);
      const watcher = expectExitWatcher(traced, pipes.first);
      const key = expectParentAfterSpawn(traced, pipes, expectParentBeforeClone(traced, pipes, method), watcher);
      const beforeExec = childPath(traced);
      expect(beforeExec.slice(-AFTER_RESETS.length).map((entry) => entry.name)).toEqual(AFTER_RESETS);
      expect(beforeExec.slice(0, -AFTER_RESETS.length).every((entry) => entry.name === 'rt_sigaction')).toBe(true);
      expectOnlyHandlersReset(beforeExec);
      expectCleanChild(beforeExec, pipes);

      const secondPidfd = pidfdOf(second as TraceEntry);
      const secondAdd = traced.afterFork.find((entry) => entry.name === 'epoll_ctl' && entry.args.includes(`EPOLL_CTL_ADD, ${secondPidfd}, `));
      const secondKey = /u64=(\d+)\}/.exec(secondAdd?.args ?? '')?.[1] as string;
      expect(Number(secondKey)).toBe(Number(key) + 1);
      expectWakeUps(
        traced,
        watcher,
        new Map([
          [key, { pidfd: traced.pidfd, pid: traced.childPid }],
          [secondKey, { pidfd: secondPidfd, pid: returned(second as TraceEntry) }],
        ]),
      );
      expectOnlyPidfdWaits(traced, [traced.pidfd, secondPidfd]);
    },
  );
});

describe.skipIf(process.arch !== 'x64')('one spawn under strace -f, on a kernel without pidfds (a seccomp filter answers as Linux before 5.2)', () => {
  const build = mkdtempSync(path.join(tmpdir(), 'process-spawner-strace-without-pidfds-'));
  const launcher = path.join(build, 'without-pidfds');
  afterAll(() => rmSync(build, { recursive: true, force: true }));

  it.skipIf(STRACE === null).each(['vfork', 'fork'] as const)(
    'shows (%s) every rung of the clone ladder, no pidfd, and the self-pipe waking the reap by pid',
    async (method) => {
      execFileSync('cc', ['-O2', '-o', launcher, path.join(ROOT, 'test', 'fixtures', 'c', 'without-pidfds.c')]);
      const traced = await traceOneSpawn(['/bin/true'], method, { launcher });
      expect(traced.printed).toEqual([{ pid: traced.childPid, exitCode: 0 }]);
      const pipes = spawnPipes(traced);
      const watcher = expectExitWatcher(traced, pipes.first);
      expectParentBeforeClone(traced, pipes, method);

      // clone3: ENOSYS; clone with CLONE_PIDFD: EINVAL; then the clone without it (glibc's _Fork
      // for the fork method, which registers its robust list in the child).
      const lastRung =
        method === 'vfork'
          ? /^clone\(child_stack=0x[0-9a-f]+, flags=CLONE_VM\|CLONE_VFORK\|SIGCHLD\) = \d+$/
          : /^clone\(child_stack=NULL, flags=CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD, child_tidptr=0x[0-9a-f]+\) = \d+$/;
      expect(traced.clones.map(summary)).toEqual([
        expect.stringMatching(/^clone3\(\{flags=.*CLONE_PIDFD.*\}, 88\) = -1 ENOSYS /),
        expect.stringMatching(/^clone\(child_stack=\w+, flags=.*CLONE_PIDFD.*SIGCHLD, parent_tid=0x[0-9a-f]+\) = -1 EINVAL /),
        expect.stringMatching(lastRung),
      ]);
      const beforeExec = childPath(traced);
      expect(beforeExec.map((entry) => entry.name)).toEqual([
        ...(method === 'fork' ? ['set_robust_list'] : []),
        ...Array<string>(RESET_COUNT).fill('rt_sigaction'),
        ...AFTER_RESETS,
      ]);
      expectEveryDispositionReset(beforeExec);
      expectCleanChild(beforeExec, pipes);

      // No pidfd from the clone, and none from pidfd_open (tried once the child's ends are closed):
      // the child is watched by its pid, and never joins the epoll set.
      expect(traced.afterFork.slice(0, 8).map(summary)).toEqual([
        expect.stringMatching(/^rt_sigprocmask\(SIG_SETMASK, /),
        `close(${pipes.stdin.read}) = 0`,
        `close(${pipes.stdout.write}) = 0`,
        `close(${pipes.stderr.write}) = 0`,
        `close(${pipes.error.write}) = 0`,
        expect.stringMatching(new RegExp(`^pidfd_open\\(${traced.childPid}, 0\\) = -1 ENOSYS `)),
        `read(${pipes.error.read}, "", 8) = 0`,
        `close(${pipes.error.read}) = 0`,
      ]);
      expect(traced.afterFork.filter((entry) => entry.name === 'epoll_ctl' && firstArgument(entry) === watcher.epoll && entry.args.includes('EPOLL_CTL_ADD'))).toEqual([]);

      // The exit: the handler's byte is the only wake-up; the set reports the self-pipe, which is
      // drained, then the child is asked with wait4(pid, WNOHANG): its own pid, never -1.
      expectHandlerRun(traced, watcher);
      expectWakeUps(traced, watcher, new Map(), traced.childPid);
      // The reap: right after a wake-up by the self-pipe, or by the 50 ms tick that runs while a
      // child without a pidfd is alive (a look at SIGCHLD, to take it back if it is free, then wait4).
      const reap = traced.afterFork.find((entry) => entry.name === 'wait4' && returned(entry) === traced.childPid) as TraceEntry;
      expect(reap && summary(reap)).toMatch(
        new RegExp(`^wait4\\(${traced.childPid}, \\[\\{WIFEXITED\\(s\\) && WEXITSTATUS\\(s\\) == 0\\}\\], WNOHANG, \\{ru_utime=`),
      );
      const before = traced.afterFork[traced.afterFork.indexOf(reap) - 1] as TraceEntry;
      expect(summary(before)).toMatch(new RegExp(`^(read\\(${watcher.selfPipe.read}, ".*", 256\\) = [1-9]|rt_sigaction\\(SIGCHLD, NULL, )`));
      // Every wait of the process is for that pid, with WNOHANG (the 50 ms tick may ask once before the exit).
      const waits = traced.everyParentThread.filter((entry) => /^wait4$|^waitid$|^waitpid$/.test(entry.name));
      for (const wait of waits) expect(summary(wait)).toMatch(new RegExp(`^wait4\\(${traced.childPid}, .*, WNOHANG, `));
    },
  );
});

/** Runs `node -e script` from the repository root under `strace -f`; its output and parsed trace. */
async function traceScript(script: string): Promise<{ stdout: string; entries: TraceEntry[] }> {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-strace-'));
  const traceFile = path.join(directory, 'trace.txt');
  try {
    const run = await expectNoLeaks(() =>
      runToCompletion(STRACE as string, ['-f', '-o', traceFile, process.execPath, '-e', script], {
        cwd: ROOT,
        env: tracedEnv({ spawnMethod: 'vfork' }),
      }),
    );
    expect(run.exit.exitCode, describeRun(run)).toBe(0);
    return { stdout: run.stdout, entries: parseStrace(readFileSync(traceFile, 'utf8')) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('exits under strace -f when others hold SIGCHLD, and after a worker_thread', () => {
  // docs/strace.md, "child_process takes SIGCHLD, and gives it back" (our child lives longer here).
  const CHILD_PROCESS_SCRIPT = `
const fs = require("node:fs");
const { execFile } = require("node:child_process");
const { spawn } = require("process-spawner");
fs.writeSync(1, "strace-marker\\n");
const child = spawn("/bin/sleep", ["0.6"]);
setTimeout(() => execFile("/bin/true", () => fs.writeSync(1, "true done\\n")), 100);
child.exited.then((info) => fs.writeSync(1, \`exit \${info.exitCode}\\n\`));
`;

  it.skipIf(STRACE === null)('shows libuv replacing our handler without chaining and giving SIGCHLD back, and our exit reaped through the pidfd alone', async () => {
    const { stdout, entries } = await traceScript(CHILD_PROCESS_SCRIPT);
    expect(stdout.trim().split('\n')).toEqual(['strace-marker', 'true done', 'exit 0']);
    const traced = splitTrace(entries, []);
    const pipes = spawnPipes(traced);
    const watcher = expectExitWatcher(traced, pipes.first);
    const key = expectParentAfterSpawn(traced, pipes, expectParentBeforeClone(traced, pipes, 'vfork'), watcher);

    // Every change of SIGCHLD's action in the process, in order: ours over SIG_DFL at our first
    // spawn; libuv's over ours, the old action not even read; libuv's reset to SIG_DFL. Never ours
    // again.
    const sets = traced.everyParentThread.filter((entry) => entry.name === 'rt_sigaction' && /^SIGCHLD, \{/.test(entry.args));
    expect(sets.map(summary)).toEqual([
      expect.stringMatching(new RegExp(`^rt_sigaction\\(SIGCHLD, \\{sa_handler=${watcher.handler}, .*\\}, \\{sa_handler=SIG_DFL, `)),
      expect.stringMatching(/^rt_sigaction\(SIGCHLD, \{sa_handler=0x[0-9a-f]+, sa_mask=[^,]*, sa_flags=SA_RESTORER\|SA_RESTART, .*\}, NULL, 8\) = 0$/),
      expect.stringMatching(/^rt_sigaction\(SIGCHLD, \{sa_handler=SIG_DFL, .*\}, NULL, 8\) = 0$/),
    ]);
    const [, libuvInstall, libuvReset] = sets as [TraceEntry, TraceEntry, TraceEntry];
    expect(libuvInstall.args).not.toContain(watcher.handler);

    // libuv's child: its SIGCHLD runs libuv's handler only (no byte into our self-pipe), and
    // libuv reaps it by its pid, before giving SIGCHLD back.
    const libuvClone = traced.clones.find((entry) => entry.name === 'clone' && entry.index > libuvInstall.index) as TraceEntry;
    const truePid = returned(libuvClone);
    expect(truePid).toBeGreaterThan(0);
    const trueSignal = traced.signals.find((entry) => entry.name === 'SIGCHLD' && entry.args.includes(`si_pid=${truePid},`)) as TraceEntry;
    expect(trueSignal, 'the SIGCHLD of libuv’s child').toBeDefined();
    const ourWrites = traced.allCalls.filter((entry) => entry.name === 'write' && firstArgument(entry) === watcher.selfPipe.write);
    expect(ourWrites.filter((entry) => entry.index > libuvInstall.index).map(summary), 'no byte into our self-pipe once libuv holds SIGCHLD').toEqual([]);
    const libuvReap = traced.everyParentThread.find((entry) => entry.name === 'wait4' && firstArgument(entry) === truePid) as TraceEntry;
    expect(summary(libuvReap)).toMatch(new RegExp(`^wait4\\(${truePid}, .*, WNOHANG, NULL\\) = ${truePid}$`));
    expect(libuvReap.index).toBeLessThan(libuvReset.index);

    // Our child exits after libuv gave SIGCHLD back: no handler runs, the set is woken by the
    // pidfd alone, and the reap is the usual one.
    const ourExit = entries.find((entry) => entry.tid === traced.childPid && entry.kind === 'exit') as TraceEntry;
    expect(ourExit.index).toBeGreaterThan(libuvReset.index);
    const wakeUps = expectWakeUps(traced, watcher, new Map([[key, { pidfd: traced.pidfd, pid: traced.childPid }]]));
    const reaping = wakeUps.find((entry) => entry.args.includes(`u64=${key}}`)) as TraceEntry;
    expect(reaping.args, 'the pidfd alone: no byte in the self-pipe').not.toContain(SELF_PIPE_KEY);
    expect(reaping.index).toBeGreaterThan(ourExit.index);
    expectOnlyPidfdWaits({ ...traced, everyParentThread: traced.everyParentThread.filter((entry) => entry !== libuvReap) }, [traced.pidfd]);
  });

  // docs/strace.md, "A worker_thread ends before its children".
  const ORPHAN_SCRIPT = `
const fs = require("node:fs");
const { Worker } = require("node:worker_threads");
const worker = new Worker(\`
  const { spawn } = require("process-spawner");
  const child = spawn("/bin/sleep", ["0.2"], { stdio: "ignore" });
  require("node:worker_threads").parentPort.postMessage(child.pid);
\`, { eval: true });
worker.on("message", () => worker.terminate());
worker.on("exit", () => fs.writeSync(1, "worker ended\\n"));
setTimeout(() => fs.writeSync(1, "main done\\n"), 1000);
`;

  it.skipIf(STRACE === null)('shows a terminated worker_thread handing its child’s pidfd to the orphanage, whose helper thread reaps it', async () => {
    const { stdout, entries } = await traceScript(ORPHAN_SCRIPT);
    expect(stdout.trim().split('\n')).toEqual(['worker ended', 'main done']);
    const clone = entries.find((entry) => entry.name === 'clone3' && entry.args.includes('CLONE_PIDFD')) as TraceEntry;
    expect(clone, 'the worker’s spawn').toBeDefined();
    const worker = callsOf(entries, clone.tid).filter((entry) => entry.index > clone.index && !isHeapHousekeeping(entry));
    const childPid = returned(clone);
    const pidfd = pidfdOf(clone);
    const orphanKey = ((BigInt(childPid) << 32n) | BigInt(pidfd)).toString();

    // The worker's own set, then the hand-over at its teardown: a new epoll set with the pidfd
    // under (pid << 32 | pidfd), every signal blocked, the helper thread started.
    const added = worker.find((entry) => entry.name === 'epoll_ctl' && entry.args.includes(`EPOLL_CTL_ADD, ${pidfd}, `)) as TraceEntry;
    const workerSet = firstArgument(added);
    const created = worker.findIndex((entry) => entry.name === 'epoll_create1' && entry.index > added.index);
    const orphanage = returned(worker[created] as TraceEntry);
    expect(summary(worker[created + 1] as TraceEntry)).toBe(
      `epoll_ctl(${orphanage}, EPOLL_CTL_ADD, ${pidfd}, {events=EPOLLIN, data={u32=${pidfd}, u64=${orphanKey}}}) = 0`,
    );
    const start = worker.findIndex((entry, i) => i > created && entry.name === 'clone3' && entry.args.includes('CLONE_THREAD'));
    expect(worker.slice(created + 2, start).map((entry) => entry.name)).toContain('rt_sigprocmask');
    expect(worker.slice(created + 2, start).find((entry) => entry.name === 'rt_sigprocmask')?.args).toMatch(/^SIG_SETMASK, ~\[RTMIN RT_1\], /);
    const helper = returned(worker[start] as TraceEntry);
    // The worker's set is closed only after the hand-over.
    const setClosed = worker.find((entry) => entry.name === 'close' && firstArgument(entry) === workerSet) as TraceEntry;
    expect(setClosed.index).toBeGreaterThan((worker[start] as TraceEntry).index);

    // The helper thread: every signal blocked; what has exited already, then a wait with no
    // timeout, then the reap through the pidfd, out of the set, closed; no orphan left: its set
    // closed and the thread gone.
    const helperCalls = callsOf(entries, helper);
    expect(helperCalls.find((entry) => entry.name === 'rt_sigprocmask')?.args).toMatch(/^SIG_SETMASK, ~\[KILL STOP RTMIN RT_1\], NULL, 8$/);
    const watching = helperCalls.filter((entry) => ['epoll_wait', 'waitid', 'epoll_ctl', 'close', 'exit'].includes(entry.name));
    const reapAt = watching.findIndex((entry) => entry.name === 'waitid');
    expect(watching.slice(0, reapAt - 1).map(summary)).toEqual(
      reapAt === 1 ? [] : [`epoll_wait(${orphanage}, [], 64, 0) = 0`, expect.stringMatching(new RegExp(`^epoll_wait\\(${orphanage}, \\[.*u64=${orphanKey}\\}\\}\\], 1, -1\\) = 1$`))],
    );
    expect(watching.slice(reapAt - 1).map(summary)).toEqual([
      expect.stringMatching(new RegExp(`^epoll_wait\\(${orphanage}, \\[\\{events=EPOLLIN, data=\\{u32=${pidfd}, u64=${orphanKey}\\}\\}\\], 64, 0\\) = 1$`)),
      expect.stringMatching(new RegExp(`^waitid\\(P_PIDFD, ${pidfd}, \\{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=${childPid}, .*WNOHANG\\|WEXITED, \\{ru_utime=`)),
      `epoll_ctl(${orphanage}, EPOLL_CTL_DEL, ${pidfd}, NULL) = 0`,
      `close(${pidfd}) = 0`,
      `close(${orphanage}) = 0`,
      'exit(0) = ?',
    ]);
  });
});
