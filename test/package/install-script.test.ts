// The install script: its choice between the prebuilt binary and compiling, for the machines this
// one is not (an older glibc, musl, a platform with no prebuilt binary); the headers it compiles
// against; and what it says when compiling fails.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { finish } from '../helpers/collect';
import { expectNoLeaks } from '../helpers/leaks';
import { cleanEnv, npmNodeGyp } from './environment';

interface Facts {
  fromSource: boolean;
  prebuild: string | null;
  glibcRuntime: string | undefined;
  glibcFloor: string | undefined;
}
const { prebuildRejection, localNodeDir } = createRequire(__filename)('../../scripts/install.js') as {
  prebuildRejection: (facts: Facts) => string | null;
  localNodeDir: (env: Record<string, string>) => string | null;
};
const ROOT = path.join(__dirname, '..', '..');
// A whole compile of the addon, on a machine that may be busy.
const COMPILE_TIMEOUT_MS = 120_000;

const PREBUILD = '/pkg/prebuilds/linux-x64/process-spawner.glibc.node';
const usable: Facts = { fromSource: false, prebuild: PREBUILD, glibcRuntime: '2.36', glibcFloor: '2.34' };

describe('the install script', () => {
  it('takes the prebuilt binary at or above its glibc floor', () => {
    expect(prebuildRejection(usable)).toBeNull();
    expect(prebuildRejection({ ...usable, glibcRuntime: '2.34' })).toBeNull();
    expect(prebuildRejection({ ...usable, glibcRuntime: '3.0' })).toBeNull();
  });

  it('compiles below the floor, and says why', () => {
    expect(prebuildRejection({ ...usable, glibcRuntime: '2.31' })).toBe(
      'the prebuilt binary needs glibc 2.34 or later and this system has glibc 2.31',
    );
    expect(prebuildRejection({ ...usable, glibcRuntime: '2.4' })).toMatch(/needs glibc 2.34/);
  });

  it('compiles when no prebuilt binary matches the platform or libc', () => {
    expect(prebuildRejection({ ...usable, prebuild: null, glibcRuntime: undefined })).toBe(
      `there is no prebuilt binary for ${process.platform}-${process.arch} (not glibc)`,
    );
  });

  it('compiles when asked to build from source', () => {
    expect(prebuildRejection({ ...usable, fromSource: true })).toMatch(/--build-from-source/);
  });

  it("compiles against this Node's headers, unless told another nodedir or another Node", () => {
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    expect(localNodeDir({})).toBe(prefix);
    expect(localNodeDir({ npm_config_target: process.versions.node, npm_config_runtime: 'node' })).toBe(prefix);
    expect(localNodeDir({ npm_config_nodedir: '/opt/node' })).toBeNull();
    expect(localNodeDir({ npm_config_target: '18.0.0' })).toBeNull();
    expect(localNodeDir({ npm_config_runtime: 'electron' })).toBeNull();
  });
});

// The install script's compile, for real, in a copy of the package with no prebuilt binary and
// no .git: each test breaks one thing the compile needs (Python, this Node's headers, make, the
// compiler) with real programs and paths, and the message must name that one. No test downloads:
// node-gyp's dist-url is a closed port and its cache an empty directory.
describe('compiling the addon', () => {
  let scratch: string;
  let stage: string;
  let refusedUrl: string;
  const nodeGyp = npmNodeGyp();

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'process-spawner-install-'));
    stage = path.join(scratch, 'package');
    for (const file of ['package.json', 'binding.gyp', 'native', 'scripts/install.js']) cpSync(path.join(ROOT, file), path.join(stage, file), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'));
    refusedUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A directory for PATH holding only these programs. */
  function toolbox(name: string, programs: Record<string, string>): string {
    const directory = path.join(scratch, name);
    mkdirSync(directory);
    for (const [program, target] of Object.entries(programs)) symlinkSync(target, path.join(directory, program));
    return directory;
  }

  async function install(env: Record<string, string>, node = process.execPath): Promise<{ status: number | null; output: string }> {
    rmSync(path.join(stage, 'build'), { recursive: true, force: true });
    const devdir = mkdtempSync(path.join(scratch, 'devdir-'));
    const { stdout, stderr, exit } = await expectNoLeaks(() =>
      finish(
        spawn(node, [path.join(stage, 'scripts', 'install.js')], {
          cwd: stage,
          env: cleanEnv({ npm_config_node_gyp: nodeGyp, npm_config_devdir: devdir, npm_config_dist_url: refusedUrl, ...env }),
        }),
      ),
    );
    return { status: exit.exitCode, output: stdout + stderr };
  }

  it("compiles with the headers of the Node that runs it, downloading nothing", async () => {
    const { status, output } = await install({});
    expect(status, output).toBe(0);
    expect(output).not.toMatch(/gyp http GET/);
    const addon = path.join(stage, 'build', 'Release', 'process_spawner.node');
    const code = `require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))}).run('echo', ['spawned']).then((r) => process.stdout.write(r.stdout))`;
    const { stdout } = await expectNoLeaks(() => finish(spawn(process.execPath, ['-e', code], { env: { ...process.env, PROCESS_SPAWNER_ADDON: addon } })));
    expect(stdout).toBe('spawned\n');
  }, COMPILE_TIMEOUT_MS);

  it("without headers beside that Node, says that downloading them failed, and from where", async () => {
    // The same Node, from a prefix without include/node.
    const prefix = path.join(scratch, 'headerless');
    mkdirSync(path.join(prefix, 'bin'), { recursive: true });
    const node = path.join(prefix, 'bin', 'node');
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node);
    }
    const { status, output } = await install({}, node);
    expect(status).not.toBe(0);
    expect(output).toContain(
      `compiling the native addon failed: downloading Node's headers from ${refusedUrl}/${process.version}/node-${process.version}-headers.tar.gz failed (connect ECONNREFUSED`,
    );
    expect(output).toContain(`This Node has no headers in ${path.join(prefix, 'include', 'node')}`);
  }, COMPILE_TIMEOUT_MS);

  it('without Python, says so', async () => {
    const { status, output } = await install({ PATH: toolbox('node-only', { node: process.execPath }), PYTHON: '' });
    expect(status).not.toBe(0);
    expect(output).toMatch(/compiling the native addon failed: no Python 3 was found/);
  }, COMPILE_TIMEOUT_MS);

  it('without make, says so', async () => {
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const { status, output } = await install({ PATH: toolbox('no-make', { node: process.execPath, python3: python }), MAKE: '' });
    expect(status).not.toBe(0);
    expect(output).toMatch(/compiling the native addon failed: make was not found on the PATH/);
  }, COMPILE_TIMEOUT_MS);

  it('without the compiler, names it', async () => {
    const { status, output } = await install({ CXX: 'no-such-cxx' });
    expect(status).not.toBe(0);
    expect(output).toMatch(/compiling the native addon failed: the C\+\+ compiler `no-such-cxx` \(from \$CXX\) was not found/);
  }, COMPILE_TIMEOUT_MS);

  it('when the compiler fails, names the file it failed on', async () => {
    const failing = path.join(scratch, 'failing-cxx');
    writeFileSync(failing, '#!/bin/sh\necho "failing-cxx: internal compiler error" >&2\nexit 1\n', { mode: 0o755 });
    const { status, output } = await install({ CXX: failing });
    expect(status).not.toBe(0);
    expect(output).toMatch(/failing-cxx: internal compiler error/);
    expect(output).toMatch(/compiling the native addon failed: the C\+\+ compiler failed on native\/(\w+\/)*\w+\.cc \(its errors are above\)/);
  }, COMPILE_TIMEOUT_MS);

  it("with the user's nodedir holding no headers, says so", async () => {
    const { status, output } = await install({ npm_config_nodedir: path.join(scratch, 'no-node-here') });
    expect(status).not.toBe(0);
    expect(output).toContain(`compiling the native addon failed: Node's headers are not in ${path.join(scratch, 'no-node-here', 'include', 'node')} (npm_config_nodedir)`);
  }, COMPILE_TIMEOUT_MS);
});

/** A TCP port nothing listens on: one the kernel just gave out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
