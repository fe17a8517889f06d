// Loads the addon and types its surface once. The addon makes syscalls and nothing else; every
// default, check and policy lives in the TypeScript files that call it.
import path from 'node:path';
import bindings = require('bindings');
import type { NativeProcessSettings } from './process-settings';

/** `stdio` codes understood by the addon; a number >= 0 passes that fd of the parent. */
export const STDIO_PIPE = -1;
export const STDIO_IGNORE = -2;

export interface Rusage {
  userCpuMicros: number;
  systemCpuMicros: number;
  /** Peak resident set size in KiB (Linux reports ru_maxrss in KiB). */
  maxRssKiB: number;
  minorFaults: number;
  majorFaults: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
}

/** A wait status as wait4 returned it, decoded with the C macros. */
export interface NativeWaitFields {
  status: number;
  exitCode: number | null;
  termSignal: number | null;
  coreDumped: boolean;
  rusage: Rusage;
}

export interface NativeSpawnRequest extends NativeProcessSettings {
  execPaths: string[];
  argv: string[];
  envp: string[] | null;
  cwd: string | null;
  stdio: number[];
  /** clone(CLONE_VM | CLONE_VFORK) instead of fork. */
  vfork: boolean;
}

export interface NativeSpawned {
  pid: number;
  fds: number[];
  handlerReinstalled: boolean;
}

export interface NativeParentFailure {
  errno: number;
  syscall: string;
  handlerReinstalled: boolean;
}

export interface NativeChildFailure extends NativeWaitFields {
  pid: number;
  errno: number;
  childStep: string;
  handlerReinstalled: boolean;
}

export type NativeSpawnOutcome = NativeSpawned | NativeParentFailure | NativeChildFailure;

export type NativeReapResult = { pid: number; errno: number } | ({ pid: number } & NativeWaitFields);

/** How a synchronous spawn's loop is bounded (native/sync.h). */
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

export type NativeSyncOutcome =
  | NativeSyncRun
  | Omit<NativeParentFailure, 'handlerReinstalled'>
  | Omit<NativeChildFailure, 'handlerReinstalled'>;

export interface NativeAddon {
  spawn(request: NativeSpawnRequest): NativeSpawnOutcome;
  /** Blocks until the child has exited and its pipes are closed; never tracked by the reaper. */
  spawnSync(request: NativeSpawnRequest, limits: NativeSyncLimits): NativeSyncOutcome;
  reap(pids: Int32Array): NativeReapResult[];
  /**
   * Returns 0 or an errno value (ESRCH once reaped). Signals only a child this thread spawned and
   * has not reaped, through its pidfd where the kernel has them.
   */
  kill(pid: number, signal: number): number;
  /** close(fd) of a pipe end no stream took over: 0 or an errno value. */
  closeFd(fd: number): number;
  /** kill(-pgid, signal): 0 or an errno value. */
  killProcessGroup(pgid: number, signal: number): number;
  /**
   * kill(-pgid, signal) for a group whose leader (pid == pgid) we have reaped; ESRCH without
   * signalling when a process holds that pid again, which proves the group emptied.
   */
  killGroupOfReapedLeader(pgid: number, signal: number): number;
  /** The read end of this thread's SIGCHLD self-pipe, or -errno. */
  openSigchldPipe(): number;
  ensureSigchldHandler(): boolean;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become our children. 0 or an errno. */
  setChildSubreaper(): number;
  /** tcgetpgrp(fd), or -errno. */
  foregroundProcessGroup(fd: number): number;
  /** tcsetpgrp(fd, pgid) with SIGTTOU blocked for the call: 0 or an errno value. */
  setForegroundProcessGroup(fd: number, pgid: number): number;
  /** RLIMIT_* numbers by short name: { nofile: 7, ... }. */
  readonly rlimitResources: Readonly<Record<string, number>>;
}

/**
 * `PROCESS_SPAWNER_ADDON` names another build of the same addon (the cmake-js one, say);
 * otherwise `bindings` finds node-gyp's build and lists every path it tried when it cannot.
 */
function loadAddon(): NativeAddon {
  const override = process.env['PROCESS_SPAWNER_ADDON'];
  if (override !== undefined && override !== '') {
    return require(path.resolve(override)) as NativeAddon;
  }
  return bindings('process_spawner') as NativeAddon;
}

export const native: NativeAddon = loadAddon();
