// Real mechanisms for the reaper's race tests: a second copy of the built addon at another path
// (a second version of the package in node_modules), a third party that reaps our child behind
// the library's back, and a pid handed to a new process on purpose, through the kernel's
// /proc/sys/kernel/ns_last_pid (writable by root in the pid namespace, as CRIU uses it).
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NativeAddon } from '../../../src/core/native';

export const builtAddon = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'process_spawner.node');

/** Copies the built addon into a new temporary directory; `transform` may rewrite its bytes. */
export function copyOfAddon(transform: (bytes: Buffer) => Buffer = (bytes) => bytes): { file: string; remove: () => void } {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-addon-'));
  const file = path.join(directory, 'process_spawner.node');
  writeFileSync(file, transform(readFileSync(builtAddon)));
  return { file, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/**
 * For copyOfAddon: renames the SIGCHLD hub's rendezvous symbol (native/exits/sigchld.cc), so the
 * copy stands for a future version with another hub layout, which cannot join this one's hub.
 */
export function renameHub(bytes: Buffer): Buffer {
  const renamed = bytes.toString('latin1').replaceAll('process_spawner_sigchld_hub_v2', 'process_spawner_sigchld_hub_v9');
  if (renamed === bytes.toString('latin1')) throw new Error('the hub symbol was not found in the addon');
  return Buffer.from(renamed, 'latin1');
}

/** Whether this process may choose the next pid (root in its pid namespace). */
export const canChoosePids: boolean = (() => {
  try {
    accessSync('/proc/sys/kernel/ns_last_pid', constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

/**
 * Starts a process that gets `pid`: the kernel hands out ns_last_pid + 1 next. On a busy machine
 * another process may hold the number already; the one started instead is killed, and null
 * returned, so that the caller starts its scenario over with a new pid.
 */
export function startWithPid<T extends { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean }>(
  pid: number,
  start: () => T,
): T | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const started = start();
    if (started.pid === pid) return started;
    started.kill('SIGKILL');
  }
  return null;
}

/** Runs `scenario` until it could hand out the pid it needed (it returns false when not). */
export async function retryUntilPidReused(scenario: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await scenario()) return;
  }
  throw new Error('no pid could be handed to a new process in 10 attempts');
}

/**
 * A third party reaps our exited child: wait4 from another copy of the addon, which the library
 * in this thread knows nothing about. Blocks the event loop until it has, so that our own reaper
 * cannot run first.
 */
export function reapBehindOurBack(thirdParty: NativeAddon, pid: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5000;
  while (thirdParty.reapAdoptedChildren(Int32Array.of(pid)).length === 0) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not exit`);
    Atomics.wait(pause, 0, 0, 2);
  }
}
