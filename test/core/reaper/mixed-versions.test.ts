// Everyone who cares about SIGCHLD in one process, as a real dependency tree has them: this build,
// the previous release (which puts its own handler back whenever it finds another, chaining to
// what it replaced), a copy of this build that cannot join the hub (a future version),
// node:child_process, process.on('SIGCHLD') and worker_threads that come and go. Every exit of
// every party arrives, once; no zombie is left. Under both spawn methods.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../../src/index';
import { finish } from '../../helpers/collect';
import { expectNoLeaks } from '../../helpers/leaks';
import { buildOldRelease, oldReleaseUnavailable, type OldRelease } from '../../helpers/old-release';
import { copyOfAddon, renameHub } from './pid-reuse';

const root = path.join(__dirname, '..', '..', '..');
const unavailable = oldReleaseUnavailable();

interface Report {
  failures: string[];
  exitsSeen: Record<string, number>;
  notOnce: string[];
  orphans: number;
  orphansLeft: number[];
  zombies: string[];
}

describe.skipIf(unavailable !== null)(`this build beside the previous release${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let old: OldRelease;
  const renamed = copyOfAddon(renameHub);
  beforeAll(() => {
    old = buildOldRelease();
  }, 120_000);
  afterAll(() => renamed.remove());

  for (const spawnMethod of ['fork', 'vfork']) {
    it(`every party hears each of its exits once, and process.on('SIGCHLD') hears them all (${spawnMethod})`, () =>
      expectNoLeaks(async () => {
        const fixture = path.join(__dirname, 'fixtures', 'mixed-versions.js');
        const { stdout, stderr, exit } = await finish(spawn(process.execPath, [fixture, spawnMethod, old.library, old.addon, renamed.file], { cwd: root }));
        expect({ stderr, exitCode: exit.exitCode, signal: exit.signal }).toEqual({ stderr: '', exitCode: 0, signal: null });
        const report = JSON.parse(stdout) as Report;
        // 8 rounds: current 2, old 1, renamed 1, child_process 2; then 3 sequential exits each.
        // Workers of 6 children: rounds 0, 4 and 6 are terminated with theirs running.
        expect(report).toEqual({
          failures: [],
          exitsSeen: { current: 8 * 2 + 3, old: 8 + 3, renamed: 8 + 3, childProcess: 8 * 2 + 3, workers: 6 * 5 },
          notOnce: [],
          orphans: 6 * 3,
          orphansLeft: [],
          zombies: [],
        });
      }), 60_000);
  }
});
