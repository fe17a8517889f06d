// The previous release of the package, built from this repository's own history, for tests that
// load two versions into one process (as two packages of a node_modules tree depending on two
// versions do). Built once into node_modules/.cache and reused: its addon with node-gyp and
// Node's own headers, its TypeScript with this checkout's compiler. Nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The last commit released before the exit watcher: it re-installs its SIGCHLD handler. */
export const PREVIOUS_RELEASE = 'd0c1500';

const root = path.join(__dirname, '..', '..');

export interface OldRelease {
  /** Its dist/index.js, to require. */
  library: string;
  /** Its addon, to name in PROCESS_SPAWNER_ADDON before requiring the library. */
  addon: string;
}

/** Why the previous release cannot be built here, or null when it can. */
export function oldReleaseUnavailable(): string | null {
  try {
    execFileSync('git', ['-C', root, 'cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`], { stdio: 'ignore' });
  } catch {
    return `commit ${PREVIOUS_RELEASE} is not in this clone's history (a shallow clone?)`;
  }
  return nodeGyp() === null ? "npm's node-gyp was not found" : null;
}

function nodeGyp(): string | null {
  const candidates = [
    process.env['npm_config_node_gyp'],
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((file) => file !== undefined && existsSync(file)) ?? null;
}

/** Builds the previous release (once) and returns where its library and addon are. */
export function buildOldRelease(): OldRelease {
  const directory = path.join(root, 'node_modules', '.cache', `process-spawner-${PREVIOUS_RELEASE}`);
  const built = { library: path.join(directory, 'dist', 'index.js'), addon: path.join(directory, 'build', 'Release', 'process_spawner.node') };
  if (existsSync(path.join(directory, 'built'))) return built;
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const archive = execFileSync('git', ['-C', root, 'archive', '--format=tar', PREVIOUS_RELEASE, 'native', 'binding.gyp', 'src', 'tsconfig.json', 'package.json']);
  execFileSync('tar', ['-x', '-C', directory], { input: archive });
  linkDependencies(directory);
  const headers = path.join(path.dirname(process.execPath), '..');
  execFileSync(process.execPath, [nodeGyp() as string, 'rebuild', `--nodedir=${headers}`], { cwd: directory, stdio: 'ignore' });
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: directory });
  writeFileSync(path.join(directory, 'built'), `${PREVIOUS_RELEASE}\n`);
  return built;
}

// What it compiles against comes from this checkout. It requires `bindings` at load, which this
// checkout no longer depends on; it is never called, since PROCESS_SPAWNER_ADDON names the addon.
function linkDependencies(directory: string): void {
  const modules = path.join(directory, 'node_modules');
  mkdirSync(path.join(modules, 'bindings'), { recursive: true });
  for (const name of ['node-addon-api', 'typescript', '@types']) symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name));
  writeFileSync(
    path.join(modules, 'bindings', 'index.js'),
    "module.exports = () => { throw new Error('not used: PROCESS_SPAWNER_ADDON names the addon'); };\n",
  );
  writeFileSync(path.join(modules, 'bindings', 'index.d.ts'), 'declare function bindings(name: string): unknown;\nexport = bindings;\n');
}
