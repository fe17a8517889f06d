// killGroup() once the group may be gone: after the leader is reaped, a group that has emptied is
// never signalled again, even when a new group has been given its id.
import childProcess from 'node:child_process';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { spawn, type Subprocess } from '../../../src/index';
import { eventually, expectNoLeaks, readProcStat } from '../../helpers/leaks';
import { canChoosePids, retryUntilPidReused, startWithPid } from './pid-reuse';

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function firstLine(stream: Readable | null): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream!.setEncoding('utf8');
    stream!.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    stream!.once('error', reject);
  });
}

/** A group leader that exits at once, leaving a member (`sleep 30`) in its group: their pids. */
async function groupThatOutlivesItsLeader(): Promise<{ child: Subprocess; member: number }> {
  const child = spawn('sh', ['-c', 'sleep 30 & echo $!'], { processGroup: 0, stdio: ['ignore', 'pipe', 'ignore'] });
  const member = Number(await firstLine(child.stdout));
  await child.exited;
  expect(readProcStat(member)?.pgrp).toBe(child.pid);
  return { child, member };
}

async function killMemberAndWaitGone(member: number): Promise<void> {
  process.kill(member, 'SIGKILL');
  // An orphan now: init reaps it.
  await eventually(() => expect(readProcStat(member)).toBe(null));
}

/** A process of another session, leading its own group, given the pid (so the pgid) `pid`. */
function newGroupWithId(pid: number): childProcess.ChildProcess | null {
  const theirs = startWithPid(pid, () => childProcess.spawn('sleep', ['30'], { detached: true, stdio: 'ignore' }));
  if (theirs !== null) expect(readProcStat(pid)?.pgrp).toBe(pid);
  return theirs;
}

async function expectAliveThenEnd(theirs: childProcess.ChildProcess): Promise<void> {
  await sleepMs(100);
  expect(theirs.exitCode).toBe(null);
  expect(theirs.signalCode).toBe(null);
  const exited = new Promise((resolve) => theirs.once('exit', resolve));
  theirs.kill('SIGKILL');
  await exited;
}

describe('killGroup() after the leader is reaped', () => {
  it('refuses a group that emptied with its leader', () =>
    expectNoLeaks(async () => {
      const child = spawn('true', [], { processGroup: 0, stdio: 'ignore' });
      await child.exited;
      expect(child.killGroup(0)).toBe(false);
      expect(child.killGroup('SIGTERM')).toBe(false);
    }));

  it('signals the members left behind, then refuses once they are gone', () =>
    expectNoLeaks(async () => {
      const { child, member } = await groupThatOutlivesItsLeader();
      expect(child.killGroup(0)).toBe(true);
      expect(child.killGroup('SIGKILL')).toBe(true);
      await eventually(() => expect(readProcStat(member)).toBe(null));
      expect(child.killGroup(0)).toBe(false);
    }));

  it.skipIf(!canChoosePids)('never signals a new group given the id of a group that emptied with its leader', () =>
    expectNoLeaks(() =>
      retryUntilPidReused(async () => {
        const child = spawn('true', [], { processGroup: 0, stdio: 'ignore' });
        await child.exited;
        const theirs = newGroupWithId(child.pid);
        if (theirs === null) return false;
        expect(child.killGroup('SIGKILL')).toBe(false);
        await expectAliveThenEnd(theirs);
        return true;
      }),
    ));

  it.skipIf(!canChoosePids)('never signals a new group given the id after the members left behind have ended', () =>
    expectNoLeaks(() =>
      retryUntilPidReused(async () => {
        const { child, member } = await groupThatOutlivesItsLeader();
        // The group outlived its leader, so the reap could not find it gone.
        expect(child.killGroup(0)).toBe(true);
        await killMemberAndWaitGone(member);
        const theirs = newGroupWithId(child.pid);
        if (theirs === null) return false;
        expect(child.killGroup('SIGKILL')).toBe(false);
        await expectAliveThenEnd(theirs);
        expect(child.killGroup(0)).toBe(false);
        return true;
      }),
    ));
});
