// What a program that manages processes beyond its own Subprocesses asks of the kernel, as the
// command does (cli/descendants.ts, cli/single.ts): becoming a child subreaper, reaping the
// descendants that adopted it, and handing a terminal's foreground to a process group and back.
// The addon makes the calls (native/parent/process_control.*); each returns what the call said.
import { native, type NativeReapResult } from './native';

/**
 * prctl(PR_SET_CHILD_SUBREAPER, 1): from now on a descendant orphaned by its parent (a `setsid`
 * daemon, a double fork) becomes our child instead of init's. 0, or the errno value it failed with.
 */
export function becomeChildSubreaper(): number {
  return native.setChildSubreaper();
}

/**
 * wait4(pid, WNOHANG) on each of `pids`: children we adopted as a subreaper and never spawned
 * (our own Subprocesses are the reaper's). The results of those that had exited; the others are
 * left as they are.
 */
export function reapAdoptedChildren(pids: readonly number[]): NativeReapResult[] {
  return native.reapAdoptedChildren(Int32Array.from(pids));
}

/** tcgetpgrp(fd): the foreground process group of the terminal at `fd`, or -errno (ENOTTY: none). */
export function foregroundProcessGroup(fd: number): number {
  return native.foregroundProcessGroup(fd);
}

/**
 * tcsetpgrp(fd, pgid): makes `pgid` the terminal's foreground group (Ctrl-C, Ctrl-Z and reads go
 * to it). SIGTTOU is blocked for the call, so a background group may hand the terminal over too.
 * 0, or the errno value it failed with.
 */
export function handTerminalTo(fd: number, pgid: number): number {
  return native.setForegroundProcessGroup(fd, pgid);
}
