// Two copies of the addon in one process (two installs of one release in node_modules): one
// SIGCHLD handler for both, every exit heard, no zombie left. A copy that cannot join the hub (a
// future version) finds the handler someone else's, leaves it alone, and still hears every exit
// of its own through pidfds.
// The worker scenario aborts about 1 run in 10 ("FATAL ERROR: Error::ThrowAsJavaScriptException
// napi_throw", from the addon in a worker being terminated) unless the addon is built with
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS defined (binding.gyp and CMakeLists.txt).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../../../src/index';
import { expectNoLeaks } from '../../helpers/leaks';
import { finish } from '../../helpers/collect';
import { copyOfAddon, renameHub } from './pid-reuse';

const fixtures = path.join(__dirname, 'fixtures');
const root = path.join(__dirname, '..', '..', '..');

const secondCopy = copyOfAddon();
const foreignCopy = copyOfAddon(renameHub);
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

// Both copies' exit watchers started (A first), then one child each: who holds SIGCHLD after
// each start, as each copy sees it, and both exit codes.
function rawCopies(copy: string): unknown {
  const script = `
    const a = require(${JSON.stringify(path.join(root, 'build/Release/process_spawner.node'))});
    const b = require(${JSON.stringify(copy)});
    const request = (code) => ({ execPaths: ['/bin/sh'], argv: ['sh', '-c', 'exit ' + code], envp: null, cwd: null,
      stdio: [-2, -2, -2], vfork: false, pipeSize: -1, closeFds: true, restoreSignals: true, newSession: false,
      processGroup: -1, umask: -1, uid: -1, gid: -1, parentDeathSignal: 0, rlimits: null, signalMask: null, groups: null });
    const holders = [];
    const codes = {};
    const heard = (name) => (exits) => { for (const exit of exits) codes[name] = exit.exitCode; if (Object.keys(codes).length === 2) done(); };
    a.watchExits(heard('a'));
    holders.push([a.sigchldHolder(), b.sigchldHolder()]);
    b.watchExits(heard('b'));
    holders.push([a.sigchldHolder(), b.sigchldHolder()]);
    a.holdLoop(true); b.holdLoop(true);
    a.spawn(request(3)); b.spawn(request(4));
    function done() { a.holdLoop(false); b.holdLoop(false); console.log(JSON.stringify({ holders, codes })); }`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('two copies of the addon in one process', () => {
  it('share one handler: the second copy finds it in place as its own', () => {
    expect(rawCopies(secondCopy.file)).toEqual({
      holders: [
        ['us', 'us'],
        ['us', 'us'],
      ],
      codes: { a: 3, b: 4 },
    });
  });

  it('a copy that cannot join the hub leaves the handler alone and still hears its exits', () => {
    expect(rawCopies(foreignCopy.file)).toEqual({
      holders: [
        ['us', 'someone-else'],
        ['us', 'someone-else'],
      ],
      codes: { a: 3, b: 4 },
    });
  });

  for (const spawnMethod of ['fork', 'vfork']) {
    it(`both spawn beside child_process and worker_threads that come and go (${spawnMethod})`, () =>
      expectNoLeaks(async () => {
        const report = await runTwoCopies(spawnMethod, secondCopy.file);
        expect(report).toEqual({ failures: [], exitsSeen: 8 * 4 + 6 * 6, orphans: 12, orphansLeft: [], zombies: [] });
      }));
  }
});
