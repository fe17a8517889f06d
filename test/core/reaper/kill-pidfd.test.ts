// kill() through a pidfd held from the spawn to the reap: it never reaches a recycled pid, even
// when a third party reaped our child and the pid went to another child of this process.
import childProcess from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../../../src/index';
import type { NativeAddon } from '../../../src/core/native';
import { expectNoLeaks, openFds, readProcStat } from '../../helpers/leaks';
import { canChoosePids, copyOfAddon, reapBehindOurBack, retryUntilPidReused, startWithPid } from './pid-reuse';

const O_CLOEXEC = 0o2000000;

function pidfds(): number[] {
  return [...openFds()].filter(([, target]) => target === 'anon_inode:[pidfd]').map(([fd]) => fd);
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const thirdPartyCopy = copyOfAddon();
const thirdParty = require(thirdPartyCopy.file) as NativeAddon;
afterAll(() => thirdPartyCopy.remove());

describe('kill() through a pidfd', () => {
  it('holds one close-on-exec pidfd per running child, closed at the reap', () =>
    expectNoLeaks(async () => {
      const before = pidfds();
      const children = [spawn('sleep', ['5'], { stdio: 'ignore' }), spawn('sleep', ['5'], { stdio: 'ignore' })];
      const held = pidfds().filter((fd) => !before.includes(fd));
      expect(held).toHaveLength(2);
      for (const fd of held) {
        const flags = Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
        expect(flags & O_CLOEXEC).toBe(O_CLOEXEC);
        // The pidfd names one of our children.
        const pid = Number(/^Pid:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]);
        expect(children.map((child) => child.pid)).toContain(pid);
      }
      for (const child of children) expect(child.kill('SIGKILL')).toBe(true);
      const exits = await Promise.all(children.map((child) => child.exited));
      for (const exit of exits) expect(exit).toMatchObject({ signal: 'SIGKILL', status: 9, exitCode: null });
      expect(pidfds()).toEqual(before);
    }));

  it('returns false once the child is reaped, and kill(0) probes without signalling', () =>
    expectNoLeaks(async () => {
      const child = spawn('sleep', ['5'], { stdio: 'ignore' });
      expect(child.kill(0)).toBe(true);
      expect(child.killed).toBe(false);
      expect(child.kill('SIGTERM')).toBe(true);
      expect((await child.exited).signal).toBe('SIGTERM');
      expect(child.kill('SIGTERM')).toBe(false);
    }));

  it.skipIf(!canChoosePids)(
    'does not signal the child of child_process that got the pid after a third party reaped ours',
    () =>
      expectNoLeaks(() =>
        retryUntilPidReused(async () => {
          const ours = spawn('sleep', ['30'], { stdio: 'ignore' });
          process.kill(ours.pid, 'SIGKILL');
          reapBehindOurBack(thirdParty, ours.pid);
          // Still in the same tick: our reaper has not heard of it. The pid now names a child of
          // this process too, so "is it still our unreaped child?" would say yes.
          const theirs = startWithPid(ours.pid, () => childProcess.spawn('sleep', ['30'], { stdio: 'ignore' }));
          if (theirs === null) {
            await ours.exited;
            return false;
          }
          expect(ours.kill('SIGKILL')).toBe(false);
          expect(ours.killed).toBe(false);
          await sleepMs(100);
          expect(readProcStat(theirs.pid!)?.state).toMatch(/^[RS]$/);
          expect(theirs.exitCode).toBe(null);
          // Our reaper reaps through the pidfd too: theirs is left to child_process, ours is ECHILD.
          const exit = await ours.exited;
          expect(exit.reapError).toMatchObject({ code: 'ECHILD', syscall: 'waitid' });
          const theirExit = new Promise<NodeJS.Signals | null>((resolve) => theirs.on('exit', (_code, signal) => resolve(signal)));
          theirs.kill('SIGTERM');
          expect(await theirExit).toBe('SIGTERM');
          return true;
        }),
      ),
  );
});
