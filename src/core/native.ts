// Loads the addon and types its surface once. The addon makes syscalls and nothing else; every
// default, check and policy lives in the TypeScript files that call it.
//
// It is loaded on first use, not at require: the protocol codec, the worker runtime and the
// option checks work on a machine where it was never built (install scripts skipped, no
// prebuilt binary for the platform), and only the first call that needs a syscall fails.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { AddonLoadError } from './errors';
import { STDIO_CODES, type SpawnRequestField } from './native-codes';

/** `stdio` codes understood by the addon; a number >= 0 passes that fd of the parent. */
export const STDIO_PIPE = STDIO_CODES.pipe;
export const STDIO_IGNORE = STDIO_CODES.ignore;
/** A socketpair at any slot, 0-2 included. */
export const STDIO_SOCKET = STDIO_CODES.socket;

export interface Rusage {
  userCpuMicros: number;
  systemCpuMicros: number;
  /**
   * ru_maxrss in KiB: the peak resident set size of the child, of the descendants it waited
   * for, and of the address space it exec'd from, since Linux carries that one's peak into the
   * new program. So it is not the program's own peak: under vfork it is at least the parent's
   * peak so far (the child ran in the parent's memory; ~50 MB for `true` spawned from Node),
   * under fork at least what the fork copied that was resident (Buffers, native memory; not V8's
   * heap). The program's own peak is VmHWM in /proc/PID/status while it runs.
   */
  maxRssKiB: number;
  minorFaults: number;
  majorFaults: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
}

/**
 * How a child ended: its wait status in wait4's encoding (rebuilt from waitid's siginfo when it
 * was reaped through its pidfd), decoded with the C macros.
 */
export interface NativeWaitFields {
  status: number;
  exitCode: number | null;
  termSignal: number | null;
  coreDumped: boolean;
  rusage: Rusage;
}

/** The fields of the addon's request that carry the settings. */
export interface NativeProcessSettings {
  newSession: boolean;
  processGroup: number;
  uid: number;
  gid: number;
  groups: number[] | null;
  umask: number;
  rlimits: number[] | null;
  closeFds: boolean;
  pipeSize: number;
  restoreSignals: boolean;
  signalMask: number[] | null;
  parentDeathSignal: number;
}

export interface NativeSpawnRequest extends NativeProcessSettings {
  execPaths: string[];
  argv: string[];
  envp: string[] | null;
  cwd: string | null;
  stdio: number[];
  /** The shared-memory clone (CLONE_VM | CLONE_VFORK) instead of a copying one. */
  vfork: boolean;
}

// The addon reads exactly these fields (native/js/spawn_request.h): a field added on one side only
// does not compile.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestFieldsMatch: SameKeys<keyof NativeSpawnRequest, SpawnRequestField> = true;
void requestFieldsMatch;

export interface NativeSpawned {
  /** This thread's name for the child, never reused: kill(), takeFd() and the exit take it. */
  key: number;
  pid: number;
  /** Our end of each slot's pipe, by slot (-1: none); the addon owns them until takeFd(). */
  fds: number[];
  /** How the child was made: 'fork' after a refused clone or when credentials change. */
  spawnMethod: 'fork' | 'vfork';
  /** The call that made it: 'clone3', 'clone' or 'fork'. */
  cloneSyscall: string;
}

export interface NativeParentFailure {
  errno: number;
  syscall: string;
}

export interface NativeChildFailure extends NativeWaitFields {
  pid: number;
  errno: number;
  childStep: string;
}

export type NativeSpawnOutcome = NativeSpawned | NativeParentFailure | NativeChildFailure;

/** A reaped child: how it ended, or the reap's errno (ECHILD: someone else reaped it). */
export type NativeReapResult = { pid: number; errno: number } | ({ pid: number } & NativeWaitFields);

/** One child of this thread's that the exit watcher has reaped. */
export type NativeExit = NativeReapResult & { key: number };

/** How a synchronous spawn's loop is bounded (native/parent/sync.h). */
export interface NativeSyncLimits {
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input: Uint8Array | null;
  /** 0: no deadline. */
  timeoutMs: number;
  killSignal: number;
  /** SIGKILL this long after killSignal if the child is still there; -1: never. */
  killGraceMs: number;
  /** Bytes of output allowed; null: no limit. */
  maxBuffer: number | null;
  /** The limit per output stream (run()'s way) or for all of them together (child_process's). */
  maxBufferPerStream: boolean;
  /** Once we end the child: -1 closes its pipes at once; else read until it is reaped, then this long. */
  drainAfterKillMs: number;
}

/** A synchronous spawn that ran: the child has been reaped by the loop that made it. */
export interface NativeSyncRun {
  pid: number;
  /** Per stdio slot: what was read from it; null for stdin and for slots that were not pipes. */
  output: (Buffer | null)[];
  wait: NativeReapResult;
  /** Why the loop ended the child, if it did. */
  end: 'timeout' | 'maxBuffer' | null;
  /** For 'maxBuffer': the slot whose output crossed the limit. */
  endSlot: number;
  /** The first error of the loop itself (EPIPE writing the input, a failed read, poll or kill), or 0. */
  ioErrno: number;
  ioSyscall: string | null;
  /** From just before the fork to the reap. */
  durationMs: number;
}

export type NativeSyncOutcome = NativeSyncRun | NativeParentFailure | NativeChildFailure;

export interface NativeAddon {
  /**
   * Starts this thread's exit watcher (once, before the first spawn): `listener` is called from
   * the event loop with the children that have just been reaped. Returns 0 or an errno value.
   */
  watchExits(listener: (exits: NativeExit[]) => void): number;
  spawn(request: NativeSpawnRequest): NativeSpawnOutcome;
  /** Blocks until the child has exited and its pipes are closed; never seen by the exit watcher. */
  spawnSync(request: NativeSpawnRequest, limits: NativeSyncLimits): NativeSyncOutcome;
  /**
   * Hands over our end of a slot's pipe, for a stream to adopt; -1 if none. Until streamHolds()
   * says a stream has it, the thread's teardown still closes it if no stream ever did.
   */
  takeFd(key: number, slot: number): number;
  /** The stream made from takeFd(key, slot) owns the fd now. */
  streamHolds(key: number, slot: number): void;
  /** close(fd) of an fd of ours that no stream took over: 0 or an errno value. */
  closeFd(fd: number): number;
  /** Closes our end of a slot's pipe that nobody took: 0, or EBADF if there is none. */
  closeUntakenFd(key: number, slot: number): number;
  /** Whether the event loop stays alive while this thread's children run. */
  holdLoop(held: boolean): void;
  /**
   * Returns 0 or an errno value (ESRCH once reaped). Signals only a child this thread spawned and
   * has not reaped, through its pidfd where the kernel has them.
   */
  kill(key: number, signal: number): number;
  /** kill(-pgid, signal): 0 or an errno value. */
  killProcessGroup(pgid: number, signal: number): number;
  /**
   * kill(-pgid, signal) for a group whose leader (pid == pgid) we have reaped; ESRCH without
   * signalling when a process holds that pid again, which proves the group emptied.
   */
  killGroupOfReapedLeader(pgid: number, signal: number): number;
  /**
   * wait4(pid, WNOHANG) on each: for descendants the command adopted as a child subreaper, which
   * it never spawned. The results of those that have exited.
   */
  reapAdoptedChildren(pids: Int32Array): NativeReapResult[];
  /** How many children of ended worker_threads are not reaped yet. */
  orphansWaiting(): number;
  /** Who holds SIGCHLD now: nobody (SIG_DFL/SIG_IGN), our handler, or another one. */
  sigchldHolder(): 'nobody' | 'us' | 'someone-else';
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become our children. 0 or an errno. */
  setChildSubreaper(): number;
  /** tcgetpgrp(fd), or -errno. */
  foregroundProcessGroup(fd: number): number;
  /** tcsetpgrp(fd, pgid) with SIGTTOU blocked for the call: 0 or an errno value. */
  setForegroundProcessGroup(fd: number, pgid: number): number;
  // Handle passing (issue 19): native/ipc/fd_passing.h and fd_watch.h.
  /** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): [ours, non-blocking; the child's], or -errno. */
  channelSocketpair(): [number, number] | number;
  /** sendmsg with `fds` as SCM_RIGHTS on the first byte: the bytes the kernel took, or -errno. */
  sendWithFds(fd: number, bytes: Uint8Array, fds: readonly number[]): number;
  /** recvmsg(MSG_CMSG_CLOEXEC): bytes read (0 at EOF, -errno), and the fds that came with them, now ours. */
  receiveWithFds(fd: number, buffer: Uint8Array): NativeReceived;
  /** fcntl(F_DUPFD_CLOEXEC): a copy we own, or -errno. */
  duplicateFd(fd: number): number;
  /** What kind of socket an fd is. */
  socketKind(fd: number): 'tcp' | 'udp4' | 'udp6' | 'unix' | 'other';
  /** Readiness of an fd in this thread's event loop (a uv_poll handle). */
  readonly FdWatcher: new (fd: number, onReady: (errno: number, readable: boolean, writable: boolean) => void) => NativeFdWatcher;
  /** RLIMIT_* numbers by short name: { nofile: 7, ... }. */
  readonly rlimitResources: Readonly<Record<string, number>>;
  /** The child path's step names indexed by their code (native/child/child_steps.h). */
  readonly childStepNames: readonly string[];
  /** The stdio codes, from native/js/spawn_request.h. */
  readonly stdioCodes: Readonly<Record<string, number>>;
  /** The fields the addon reads from a spawn request, from native/js/spawn_request.h. */
  readonly spawnRequestFields: readonly string[];
}

export interface NativeReceived {
  bytes: number;
  fds: number[];
  /** MSG_CTRUNC: more fds were sent than fit; the kernel closed the rest. */
  truncated: boolean;
}

export interface NativeFdWatcher {
  /** Watches for what is asked (neither: stops); 0 or a negative libuv error. */
  start(readable: boolean, writable: boolean): number;
  stop(): void;
  ref(): void;
  unref(): void;
  /** Closes the watcher; the fd stays open. */
  close(): void;
}

// node-gyp-build is the loader that goes with prebuildify's prebuilds/<platform>-<arch>/ layout:
// it takes build/Release (what the install script or `npm rebuild` compiled) first, else the
// prebuilt binary whose tags (napi, glibc or musl) match this Node; `bindings` knows only build/.
// It ships no types; this is the one function of it we use.
interface NodeGypBuild {
  /** The path of the binary it would load from `dir`; throws when none matches. */
  path(dir: string): string;
}

// dist/core/native.js: the package's root is two folders up.
const packageRoot = path.join(__dirname, '..', '..');
const REBUILD_HINT =
  '  Fix: `npm rebuild process-spawner` compiles it (pnpm and bun: allow its build script first); ' +
  'that needs python3, make and a C++17 compiler (g++ 8 or later).\n' +
  '  Without it, encodeFrame, FrameDecoder and serve() from process-spawner/worker still work.';

/**
 * `PROCESS_SPAWNER_ADDON` names another build of the same addon (the cmake-js one, say);
 * otherwise node-gyp-build finds node-gyp's build or a prebuilt binary.
 */
function loadAddon(): NativeAddon {
  const override = process.env['PROCESS_SPAWNER_ADDON'];
  if (override !== undefined && override !== '') return requireAddon(path.resolve(override));
  let file: string;
  try {
    file = (require('node-gyp-build') as NodeGypBuild).path(packageRoot);
  } catch (cause) {
    throw new AddonLoadError(
      "process-spawner's native addon is not built, so it cannot make system calls.\n" +
        `  Missing: ${path.join(packageRoot, 'build', 'Release', 'process_spawner.node')}, and a prebuilt binary ` +
        `for ${platformName()} in ${path.join(packageRoot, 'prebuilds')} (${listPrebuilds()}).\n` +
        '  Why: the install script, which takes a prebuilt binary or compiles one, did not run ' +
        '(npm --ignore-scripts; pnpm and bun skip build scripts they were not told to trust), ' +
        'or this platform has no prebuilt binary.\n' +
        REBUILD_HINT,
      { cause },
    );
  }
  return requireAddon(file);
}

function requireAddon(file: string): NativeAddon {
  try {
    return require(file) as NativeAddon;
  } catch (cause) {
    const reason = cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause);
    throw new AddonLoadError(
      `process-spawner's native addon could not be loaded from ${file}.\n  Why: ${reason}${glibcNote(file)}\n` + REBUILD_HINT,
      { cause },
    );
  }
}

function platformName(): string {
  const glibc = glibcRuntime();
  return `${process.platform}-${process.arch} (${glibc === undefined ? 'not glibc' : `glibc ${glibc}`}, N-API)`;
}

function listPrebuilds(): string {
  try {
    const found = readdirSync(path.join(packageRoot, 'prebuilds'));
    return found.length === 0 ? 'empty' : `it holds ${found.join(', ')}`;
  } catch {
    return 'not there';
  }
}

// A prebuilt binary links against the glibc it was built on; package.json records the oldest
// glibc it runs with. Below that the dlopen error names a symbol version, which this explains.
function glibcNote(file: string): string {
  if (!file.includes(`${path.sep}prebuilds${path.sep}`)) return '';
  const runtime = glibcRuntime();
  const floor = prebuildGlibcFloor();
  if (runtime === undefined || floor === undefined || compareVersions(runtime, floor) >= 0) return '';
  return ` (the prebuilt binary needs glibc ${floor} or later; this system has ${runtime})`;
}

function glibcRuntime(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

function prebuildGlibcFloor(): string | undefined {
  try {
    const manifest = require(path.join(packageRoot, 'package.json')) as { prebuilds?: Record<string, { glibc?: string }> };
    return manifest.prebuilds?.[`${process.platform}-${process.arch}`]?.glibc;
  } catch {
    return undefined;
  }
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

let loaded: NativeAddon | undefined;

/**
 * The addon, loaded by the first property read (`native.spawn(...)`). A failed load is not
 * remembered: after `npm rebuild` in another shell, the next call loads it.
 */
export const native: NativeAddon = new Proxy({} as NativeAddon, {
  get(_target, property) {
    loaded ??= loadAddon();
    return Reflect.get(loaded, property) as unknown;
  },
});
