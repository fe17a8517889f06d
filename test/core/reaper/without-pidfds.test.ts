// On a kernel without pidfds (before Linux 5.2), emulated on this one with a seccomp filter
// (test/fixtures/c/without-pidfds.c): the SIGCHLD self-pipe is the wake-up, a 50 ms tick takes
// over while child_process holds SIGCHLD, kill() checks that the pid is still our child, the
// synchronous loop polls wait4, the orphanage polls. Under both spawn methods.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../../../src/index';
import { finish } from '../../helpers/collect';
import { expectNoLeaks } from '../../helpers/leaks';

const root = path.join(__dirname, '..', '..', '..');
const supported = process.arch === 'x64';
const build = mkdtempSync(path.join(tmpdir(), 'without-pidfds-'));
const launcher = path.join(build, 'without-pidfds');
if (supported) execFileSync('cc', ['-O2', '-o', launcher, path.join(root, 'test', 'fixtures', 'c', 'without-pidfds.c')]);
afterAll(() => rmSync(build, { recursive: true, force: true }));

describe.skipIf(!supported)('without pidfds (seccomp answers as a kernel before 5.2 does; x86-64 only)', () => {
  for (const spawnMethod of ['fork', 'vfork']) {
    it(`hears exits, kills only its own child, and reaps orphans (${spawnMethod})`, () =>
      expectNoLeaks(async () => {
        const fixture = path.join(__dirname, 'fixtures', 'without-pidfds.js');
        const { stdout, stderr, exit } = await finish(spawn(launcher, [process.execPath, fixture, spawnMethod], { cwd: root }));
        expect({ stderr, exitCode: exit.exitCode }).toEqual({ stderr: '', exitCode: 0 });
        expect(JSON.parse(stdout)).toEqual({
          exit: 3,
          kill: true,
          killed: 'SIGKILL',
          killAfterReap: false,
          whileDisplaced: 4,
          theirs: 0,
          sync: { stdout: 'out\n', exitCode: 5 },
          orphansLeft: [],
          fdsKept: [],
        });
      }), 30_000);
  }
});
