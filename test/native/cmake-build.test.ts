// The second build route: `npm run build:cmake` (cmake-js) must build the same addon as node-gyp,
// from the npm registry's packages alone, and a process must be able to spawn with that build.
// This test builds it (from scratch on a fresh clone), then runs a Node process that loads it
// through PROCESS_SPAWNER_ADDON and spawns /bin/echo with it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { describeRun, runToCompletion, type Completed } from '../helpers/run';

const ROOT = path.join(__dirname, '..', '..');
const CMAKE_ADDON = path.join(ROOT, 'build-cmake', 'Release', 'process_spawner.node');
// A cold build compiles six files; two cores, no ccache.
const BUILD_TIMEOUT_MS = 300_000;

// Runs in the child, from the repository root (so 'process-spawner' resolves to dist/index.js):
// spawn /bin/echo through the public API, then report what it read and which .node files loaded.
const SPAWN_WITH_ADDON = `
const { spawn } = require('process-spawner');
const child = spawn('/bin/echo', ['built', 'by', 'cmake-js']);
let stdout = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
child.on('close', (exitCode) => {
  const addons = Object.keys(require.cache).filter((file) => file.endsWith('.node'));
  process.stdout.write(JSON.stringify({ stdout, exitCode, pid: child.pid, addons }) + '\\n');
});
`;

describe('the cmake-js build', () => {
  let build: Completed | undefined;

  beforeAll(async () => {
    build = await expectNoLeaks(() => runToCompletion('npm', ['run', 'build:cmake'], { cwd: ROOT }));
  }, BUILD_TIMEOUT_MS);

  function builtOk(): Completed {
    if (build === undefined) throw new Error('the build did not run');
    expect(build.exit.exitCode, describeRun(build)).toBe(0);
    return build;
  }

  it('builds build-cmake/Release/process_spawner.node with node-api-headers, downloading nothing', () => {
    const { stdout, stderr } = builtOk();
    expect(existsSync(CMAKE_ADDON), 'the built addon').toBe(true);
    // cmake-js took the Node-API route: headers from the npm package, no Node headers tarball.
    // The configure step (and its log line) runs only on a fresh build; the cache keeps its -D values.
    const cache = readFileSync(path.join(ROOT, 'build-cmake', 'CMakeCache.txt'), 'utf8');
    const include = /^CMAKE_JS_INC:[A-Z]+=(.*)$/m.exec(cache)?.[1];
    expect(include?.split(';')).toEqual([
      path.join(ROOT, 'node_modules', 'node-api-headers', 'include'),
      path.join(ROOT, 'node_modules', 'node-addon-api'),
    ]);
    expect(stdout + stderr).not.toMatch(/Downloading|https?:\/\//);
  });

  it('is the addon a Node process loads through PROCESS_SPAWNER_ADDON, and spawns with it', async () => {
    builtOk();
    const run = await expectNoLeaks(() =>
      runToCompletion(process.execPath, ['-e', SPAWN_WITH_ADDON], {
        cwd: ROOT,
        env: { ...process.env, PROCESS_SPAWNER_ADDON: CMAKE_ADDON },
      }),
    );
    expect(run.exit.exitCode, describeRun(run)).toBe(0);
    const report = JSON.parse(run.stdout) as { stdout: string; exitCode: number; pid: number; addons: string[] };
    expect(report.stdout).toBe('built by cmake-js\n');
    expect(report.exitCode).toBe(0);
    expect(report.pid).toBeGreaterThan(0);
    expect(report.addons, 'the only native module loaded is the cmake-js build').toEqual([CMAKE_ADDON]);
  });

  it('exports the same three dynamic symbols as the node-gyp build', () => {
    builtOk();
    expect(exportedSymbols(CMAKE_ADDON)).toEqual(exportedSymbols(path.join(ROOT, 'build', 'Release', 'process_spawner.node')));
  });
});

describe('the node-gyp build', () => {
  it("exports Node-API's two entry points and the SIGCHLD hub's rendezvous, nothing else", () => {
    // native/exports.map: no std:: template, no symbol of ours, for another object to bind to.
    expect(exportedSymbols(path.join(ROOT, 'build', 'Release', 'process_spawner.node'))).toEqual([
      'napi_register_module_v1',
      'node_api_module_get_api_version_v1',
      'process_spawner_sigchld_hub_v2',
    ]);
  });
});

/** The dynamic symbols a shared object defines, by name, sorted. */
function exportedSymbols(file: string): string[] {
  const table = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[2])
    .filter((name): name is string => name !== undefined)
    .sort();
}
