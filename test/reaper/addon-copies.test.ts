// Two copies of the addon in one process (two versions of the package in node_modules): one
// SIGCHLD handler for both, no chain that loops, every exit heard, no zombie left.
// The worker scenario aborts about 1 run in 10 ("FATAL ERROR: Error::ThrowAsJavaScriptException
// napi_throw", from reap() in a worker being terminated) unless the addon is built with
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS defined (binding.gyp and CMakeLists.txt).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { expectNoLeaks } from '../helpers/leaks';
import { finish } from '../helpers/collect';
import { copyOfAddon } from './pid-reuse';

const fixtures = path.join(__dirname, 'fixtures');
const root = path.join(__dirname, '..', '..');

const secondCopy = copyOfAddon();
// A copy whose rendezvous symbol has another name stands for a future copy with another hub
// layout: it cannot join the hub, so the two handlers chain into each other and must still stop.
const foreignCopy = copyOfAddon((bytes) =>
  Buffer.from(bytes.toString('latin1').replaceAll('process_spawner_sigchld_hub_v1', 'process_spawner_sigchld_hub_v9'), 'latin1'),
);
afterAll(() => {
  secondCopy.remove();
  foreignCopy.remove();
});

interface Report {
  failures: string[];
  exitsSeen: number;
  orphans: number;
  orphansLeft: number[];
  zombies: string[];
}

async function runTwoCopies(spawnMethod: string, copy: string): Promise<Report> {
  const { stdout, stderr, exit } = await finish(
    spawn(process.execPath, [path.join(fixtures, 'two-copies.js'), spawnMethod, copy], { cwd: root }),
  );
  expect({ stderr, exitCode: exit.exitCode, signal: exit.signal }).toEqual({ stderr: '', exitCode: 0, signal: null });
  return JSON.parse(stdout) as Report;
}

function rawInstallOrder(copy: string): string {
  // Both copies' handlers installed in the order A, B, A, then /bin/true: each SIGCHLD must end.
  const script = `
    const a = require(${JSON.stringify(path.join(root, 'build/Release/process_spawner.node'))});
    const b = require(${JSON.stringify(copy)});
    a.openSigchldPipe(); b.openSigchldPipe();
    const installs = [a.ensureSigchldHandler(), b.ensureSigchldHandler(), a.ensureSigchldHandler()];
    const { pid } = a.spawn({ execPaths: ['/bin/true'], argv: ['true'], envp: null, cwd: null, stdio: [-2, -2, -2], vfork: false });
    const poll = setInterval(() => {
      const reaped = a.reap(Int32Array.of(pid));
      if (reaped.length === 1) { clearInterval(poll); console.log(JSON.stringify({ installs, exitCode: reaped[0].exitCode })); }
    }, 10);`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
}

describe('two copies of the addon in one process', () => {
  it('share one handler: the second copy finds it installed, and A, B, A does not loop', () => {
    expect(JSON.parse(rawInstallOrder(secondCopy.file))).toEqual({ installs: [true, false, false], exitCode: 0 });
  });

  it('a copy that cannot join the hub chains to it, and the chain still ends', () => {
    expect(JSON.parse(rawInstallOrder(foreignCopy.file))).toEqual({ installs: [true, true, true], exitCode: 0 });
  });

  for (const spawnMethod of ['fork', 'vfork']) {
    it(`both spawn beside child_process and worker_threads that come and go (${spawnMethod})`, () =>
      expectNoLeaks(async () => {
        const report = await runTwoCopies(spawnMethod, secondCopy.file);
        expect(report).toEqual({ failures: [], exitsSeen: 8 * 4 + 6 * 6, orphans: 12, orphansLeft: [], zombies: [] });
      }));
  }
});
