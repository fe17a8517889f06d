// Real limits, not injected ones: a spawning process that runs out of fds (prlimit --nofile) or of
// processes (RLIMIT_NPROC, enforced only for a uid other than root) gets a clean error, holds on
// to nothing, and spawns again once its children are gone. Under both spawn methods.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { runToCompletion, describeRun } from '../helpers/run';
import { findExecutable } from '../helpers/strace';

const DRIVER = path.join(__dirname, 'limit-driver.js');
const ROOT = path.join(__dirname, '..', '..');
const PRLIMIT = findExecutable('prlimit');
const SETPRIV = findExecutable('setpriv');
const IS_ROOT = process.getuid?.() === 0;
// An unprivileged uid that exists everywhere: RLIMIT_NPROC does not apply to root.
const NOBODY = '65534';

interface MethodResult {
  method: 'fork' | 'vfork';
  running: number;
  error: { name: string; message: string; code: string; syscall: string; childStep?: string } | null;
  next: string;
  fdsLeft: boolean;
  children: number;
}

async function driverResults(command: string, args: string[]): Promise<MethodResult[]> {
  const result = await runToCompletion(command, args, { cwd: ROOT });
  expect(result.exit.exitCode, describeRun(result)).toBe(0);
  return JSON.parse(result.stdout) as MethodResult[];
}

function expectRecovered(result: MethodResult): void {
  expect(result.next, 'a spawn after the children are gone').toBe('next\n');
  expect(result.fdsLeft, 'fds left behind').toBe(false);
  expect(result.children, 'children left behind').toBe(0);
}

describe('real resource limits', () => {
  it.skipIf(PRLIMIT === null)('RLIMIT_NOFILE 64: spawns until pipe2 or clone3 EMFILE, then recovers', () =>
    expectNoLeaks(async () => {
      const results = await driverResults(PRLIMIT as string, ['--nofile=64', '--', process.execPath, DRIVER, 'nofile']);
      expect(results.map((result) => result.method)).toEqual(['fork', 'vfork']);
      for (const result of results) {
        // Each cat holds our end of its stdin pipe: some tens fit under 64 next to Node's own fds.
        expect(result.running).toBeGreaterThan(10);
        expect(result.running).toBeLessThan(64);
        // The pipes come first, then the clone, whose pidfd is the spawn's last new fd: which of
        // the two meets the limit depends on how many fds the spawns before left open.
        const syscall = String(result.error?.syscall);
        expect(['pipe2', 'clone3']).toContain(syscall);
        expect(result.error).toEqual({ name: 'SpawnError', message: `${syscall} EMFILE`, code: 'EMFILE', syscall });
        expectRecovered(result);
      }
    }));

  it.skipIf(SETPRIV === null || !IS_ROOT)('RLIMIT_NPROC for an unprivileged uid: clone3 EAGAIN, then recovers', () =>
    expectNoLeaks(async () => {
      const results = await driverResults(SETPRIV as string, [
        '--reuid', NOBODY, '--regid', NOBODY, '--clear-groups',
        // The checkout may sit in a 0700 directory (mktemp -d): keep only the right to read it.
        // CAP_DAC_READ_SEARCH does not lift RLIMIT_NPROC (CAP_SYS_RESOURCE and CAP_SYS_ADMIN do).
        '--inh-caps', '+dac_read_search', '--ambient-caps', '+dac_read_search',
        process.execPath, DRIVER, 'nproc',
      ]);
      for (const result of results) {
        // The driver leaves room for three more tasks of its uid.
        expect(result.running).toBeGreaterThanOrEqual(1);
        expect(result.running).toBeLessThanOrEqual(3);
        // Both methods make the child with clone3 where the kernel has it (native/parent/clone.h).
        expect(result.error).toEqual({ name: 'SpawnError', message: 'clone3 EAGAIN', code: 'EAGAIN', syscall: 'clone3' });
        expectRecovered(result);
      }
    }));

  if (PRLIMIT === null || SETPRIV === null || !IS_ROOT) {
    it.skip('the limits need prlimit and setpriv (util-linux), and root to change uid', () => {});
  }
});
