// The package as a user gets it: `npm pack`'s file list, then the tarball installed into an
// empty project, offline (the dependencies come from the npm cache that `npm ci` filled), with
// install scripts disabled and enabled, used from CommonJS, ES modules and TypeScript.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docExamples, nodeArgs, type DocExample } from '../helpers/doc-examples';
import { cleanEnv } from './environment';

const root = path.join(__dirname, '..', '..');
const consumerFiles = path.join(__dirname, 'consumer');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  prebuilds: Record<string, { glibc: string }>;
};
const tarballName = `process-spawner-${manifest.version}.tgz`;

// What a user needs, and nothing else: the compiled library, what compiling the addon takes,
// the prebuilt binaries, the workers for other languages, the docs.
const ALLOWED = [/^dist\/.+\.(js|d\.ts)$/, /^native\/(\w+\/)*\w+\.(cc|h)$/, /^native\/exports\.map$/, /^prebuilds\/linux-x64\/[\w.-]+\.node$/, /^workers\//, /^docs\/[\w-]+\.md$/, /^docs\/examples\/[\w-]+\.js$/];
const ALLOWED_FILES = ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'CMakeLists.txt', 'scripts/install.js'];
const REQUIRED = [
  ...ALLOWED_FILES,
  'dist/index.js',
  'dist/index.d.ts',
  'dist/worker.js',
  'dist/child_process/index.js',
  'dist/cli/index.js',
  'dist/cli/parallel-main.js',
  'workers/echo-worker.mjs',
  'workers/c/protocol.h',
  'workers/python/process_spawner_worker.py',
  'docs/api.md',
  'docs/how-it-works.md',
  'docs/protocol.md',
];
const PREBUILD = 'prebuilds/linux-x64/process-spawner.glibc.node';
const ADDON = 'build/Release/process_spawner.node';

// The README's library examples and its commands that show their output (the quick start's and
// those of its section on the command); docs/pool.md's, but the one that runs its workers over
// ssh on other hosts.
const CONSUMER_EXAMPLES = [
  ...examplesOf('README.md', (example) => example.language !== 'sh' || example.expected !== null),
  ...examplesOf('docs/pool.md', (example) => !example.code.includes('process.env.SSH')),
];

function examplesOf(document: string, wanted: (example: DocExample) => boolean): { where: string; example: DocExample }[] {
  const examples = docExamples(readFileSync(path.join(root, document), 'utf8')).filter(wanted);
  return examples.map((example) => ({ where: `${document}: ${example.code.split('\n')[0]}`, example }));
}

const exec = promisify(execFile);
// Each install and check runs several npm and node processes, on a machine that may be busy.
const INSTALL_TIMEOUT_MS = 120_000;
let scratch: string;

async function npm(cwd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const { stdout } = await exec('npm', args, { cwd, env: cleanEnv(extraEnv), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function packedFiles(cwd: string): Promise<string[]> {
  const [report] = JSON.parse(await npm(cwd, ['pack', '--dry-run', '--json', '--ignore-scripts'])) as [{ files: { path: string }[] }];
  return report.files.map((file) => file.path).sort();
}

// Beside the packed files: the script that makes the prebuilt binary, and the checkout's build.
const MAINTAINER_FILES = ['scripts/prebuilds.js', ADDON];

/** The files `npm pack` would take, copied into a directory of their own, built there. */
async function stagePackage(files: string[]): Promise<string> {
  const stage = path.join(scratch, 'stage');
  for (const file of [...files.filter((name) => !name.startsWith('prebuilds/')), ...MAINTAINER_FILES]) {
    mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(stage, file));
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
  return stage;
}

async function pack(stage: string, destination: string): Promise<string> {
  mkdirSync(destination);
  await npm(stage, ['pack', '--ignore-scripts', '--pack-destination', destination]);
  return path.join(destination, tarballName);
}

/**
 * An empty project whose lockfile pins the tarball and the package's dependencies at the
 * versions and integrities of ours, with their registry addresses, so that `--offline` finds
 * every one of them in the npm cache without asking the registry for its metadata.
 */
async function consumerProject(name: string, tarball: string): Promise<string> {
  const project = path.join(scratch, name);
  mkdirSync(project);
  cpSync(tarball, path.join(project, tarballName));
  const registry = (await npm(project, ['config', 'get', 'registry'])).trim().replace(/\/$/, '');
  const ourLock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; resolved?: string }>;
  };
  const spec = `file:${tarballName}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { 'process-spawner': spec } },
    // As npm writes it: without `bin` here, npm would link no node_modules/.bin/process-spawner.
    'node_modules/process-spawner': { version: manifest.version, resolved: spec, hasInstallScript: true, dependencies: manifest.dependencies, bin: manifest.bin },
  };
  for (const dependency of Object.keys(manifest.dependencies)) {
    const entry = ourLock.packages[`node_modules/${dependency}`];
    if (entry === undefined) throw new Error(`${dependency} is not in package-lock.json`);
    packages[`node_modules/${dependency}`] = { ...entry, resolved: entry.resolved ?? `${registry}/${dependency}/-/${dependency}-${entry.version}.tgz` };
  }
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { 'process-spawner': spec } }));
  writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }));
  for (const file of ['check.cjs', 'check.mjs']) cpSync(path.join(consumerFiles, file), path.join(project, file));
  return project;
}

/** The user's npm config without one setting, as a file of its own. */
async function userconfigWithout(setting: string): Promise<string> {
  const userconfig = (await npm(scratch, ['config', 'get', 'userconfig'])).trim();
  const lines = existsSync(userconfig) ? readFileSync(userconfig, 'utf8').split('\n') : [];
  const file = path.join(scratch, `npmrc-without-${setting}`);
  writeFileSync(file, lines.filter((line) => line.split('=')[0]?.trim() !== setting).join('\n'));
  return file;
}

async function node(project: string, args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, args, { cwd: project, env: cleanEnv() });
  return stdout;
}

function newestGlibcSymbol(dynamicSymbols: string): string {
  const versions = [...dynamicSymbols.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((match) => [Number(match[1]), Number(match[2])] as const);
  const [major, minor] = versions.sort((a, b) => b[0] - a[0] || b[1] - a[1])[0] ?? [0, 0];
  return `${major}.${minor}`;
}

describe('the packed package', () => {
  let files: string[];
  let withPrebuild: string;
  let withoutPrebuild: string;
  let stage: string;
  let buildBefore: { bytes: Buffer; ino: number; mtimeMs: number };

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'process-spawner-package-'));
    files = await packedFiles(root);
    stage = await stagePackage(files);
    withoutPrebuild = await pack(stage, path.join(scratch, 'without-prebuild'));
    buildBefore = addonBuild(stage);
    await npm(stage, ['run', 'prebuilds']);
    withPrebuild = await pack(stage, path.join(scratch, 'with-prebuild'));
  }, INSTALL_TIMEOUT_MS);

  function addonBuild(directory: string): { bytes: Buffer; ino: number; mtimeMs: number } {
    const file = path.join(directory, ADDON);
    const { ino, mtimeMs } = statSync(file);
    return { bytes: readFileSync(file), ino, mtimeMs };
  }

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('holds only what a user needs', async () => {
    const stray = files.filter((file) => !ALLOWED_FILES.includes(file) && !ALLOWED.some((pattern) => pattern.test(file)));
    expect(stray).toEqual([]);
    expect(REQUIRED.filter((file) => !files.includes(file))).toEqual([]);
    const packed = await packedFiles(stage);
    expect(packed).toContain(PREBUILD);
    expect(packed.filter((file) => !file.startsWith('prebuilds/'))).toEqual(files.filter((file) => !file.startsWith('prebuilds/')));
  });

  it("makes the prebuilt binary (npm pack's prepack step) without touching the checkout's build", () => {
    expect(addonBuild(stage)).toEqual(buildBefore);
  });

  it('records the newest glibc its prebuilt binary needs', async () => {
    const { stdout } = await exec('objdump', ['-T', path.join(stage, PREBUILD)]);
    expect(newestGlibcSymbol(stdout)).toBe(manifest.prebuilds['linux-x64']?.glibc);
  });

  it('installs with scripts disabled: everything loads, and the prebuilt binary spawns', async () => {
    const project = await consumerProject('no-scripts', withPrebuild);
    await npm(project, ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund']);
    expect(existsSync(path.join(project, 'node_modules/process-spawner/build'))).toBe(false);
    expect(await node(project, ['check.cjs'])).toBe('cjs ok\n');
    expect(await node(project, ['check.mjs'])).toBe('esm ok\n');

    // No prebuilt binary for this platform: the codec and the worker runtime still work, and
    // the first spawn says what is missing, why, and how to fix it.
    rmSync(path.join(project, 'node_modules/process-spawner/prebuilds'), { recursive: true });
    const message = await node(project, ['check.cjs', 'no-addon']);
    expect(message).toMatch(/Why: the install script, which takes a prebuilt binary or compiles one, did not run/);
    expect(await node(project, ['check.mjs', 'no-addon'])).toBe('esm ok\n');
  }, INSTALL_TIMEOUT_MS);

  it('installs with scripts and no compiler when a prebuilt binary matches; its types hold', async () => {
    const project = await consumerProject('scripts', withPrebuild);
    await npm(project, ['install', '--offline', '--no-audit', '--no-fund'], { CXX: 'no-such-cxx', CC: 'no-such-cc' });
    expect(existsSync(path.join(project, 'node_modules/process-spawner/build'))).toBe(false);
    expect(await node(project, ['check.cjs'])).toBe('cjs ok\n');
    expect(await node(project, ['check.mjs'])).toBe('esm ok\n');

    for (const file of ['consumer.mts', 'consumer.cts']) cpSync(path.join(consumerFiles, file), path.join(project, file));
    const tsconfig = JSON.parse(readFileSync(path.join(consumerFiles, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    tsconfig.compilerOptions['typeRoots'] = [path.join(root, 'node_modules', '@types')];
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(exec(process.execPath, [tsc, '-p', project], { cwd: project })).resolves.toMatchObject({ stdout: '' });
  }, INSTALL_TIMEOUT_MS);

  it("compiles when no prebuilt binary matches, with this Node's headers, and names what failed", async () => {
    const project = await consumerProject('compile', withoutPrebuild);
    // As on a machine whose npm config names no nodedir, with node-gyp unable to download: the
    // compile gets as far as the compiler only if it found this Node's own headers.
    const failure = await npm(project, ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
      npm_config_userconfig: await userconfigWithout('nodedir'),
      npm_config_dist_url: 'http://127.0.0.1:9',
      npm_config_devdir: mkdtempSync(path.join(scratch, 'devdir-')),
      CXX: 'no-such-cxx',
    }).then(
      () => null,
      (error: { stderr: string; stdout: string }) => `${error.stdout}${error.stderr}`,
    );
    expect(failure).toMatch(/there is no prebuilt binary for linux-x64 \(glibc\); compiling the addon from source/);
    expect(failure).not.toMatch(/gyp http GET/);
    expect(failure).toMatch(/compiling the native addon failed: the C\+\+ compiler `no-such-cxx` \(from \$CXX\) was not found/);
  }, INSTALL_TIMEOUT_MS);

  // What a user copies from the README and docs/pool.md into their own project, run there as
  // written: the workers are found through the package's exports, the command through npx.
  describe('in a project that installed it, the examples run as written', () => {
    let project: string;
    beforeAll(async () => {
      project = await consumerProject('examples', withPrebuild);
      await npm(project, ['install', '--offline', '--no-audit', '--no-fund']);
    }, INSTALL_TIMEOUT_MS);

    it.each(CONSUMER_EXAMPLES.map((entry) => [entry.where, entry.example] as const))('%s', async (_where, example) => {
      // npx finds the command in the project's node_modules/.bin; offline, it could ask nothing else.
      // A bare `process-spawner-parallel` finds it there too, on the PATH as in an npm script.
      const PATH = `${path.join(project, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}`;
      const options = { cwd: project, env: cleanEnv({ npm_config_offline: 'true', PATH }) };
      const { stdout, stderr } = example.language === 'sh' ? await exec('sh', ['-c', example.code], options) : await exec(process.execPath, nodeArgs(example), options);
      expect(stderr).toBe('');
      if (example.expected !== null) expect(stdout).toBe(example.expected);
    }, INSTALL_TIMEOUT_MS);
  });
});
