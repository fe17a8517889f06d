#!/usr/bin/env node
// The package's install script: use the prebuilt binary when one matches this machine, else
// compile the addon with node-gyp. A prebuilt binary is taken only when
//   - prebuilds/<platform>-<arch>/ has one for this libc (node-gyp-build's own matching),
//   - this glibc is at least the one package.json records for it (`prebuilds.<platform-arch>.glibc`:
//     the newest GLIBC_ symbol version the binary imports, 2.34 for `_Fork`), and
//   - it actually loads here.
// In a git checkout it always compiles, so a stale prebuilds/ never hides a change to native/;
// once configured, incrementally (make rebuilds what changed), so that `npx process-spawner`,
// which runs this script again in the checkout, does not recompile everything.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const packageRoot = path.join(__dirname, '..');
const manifest = require(path.join(packageRoot, 'package.json'));

/** Why the prebuilt binary cannot be used here, or null when it can. */
function prebuildRejection({ fromSource, prebuild, glibcRuntime, glibcFloor }) {
  if (fromSource) return 'building from source was asked for (--build-from-source)';
  if (prebuild === null) return `there is no prebuilt binary for ${process.platform}-${process.arch} (${glibcRuntime ? 'glibc' : 'not glibc'})`;
  if (glibcFloor && glibcRuntime && compareVersions(glibcRuntime, glibcFloor) < 0) {
    return `the prebuilt binary needs glibc ${glibcFloor} or later and this system has glibc ${glibcRuntime}`;
  }
  return null;
}

function compareVersions(a, b) {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

function findPrebuild() {
  // node-gyp-build reads PREBUILDS_ONLY when it is loaded: ignore any build/ and ask for a prebuild.
  process.env.PREBUILDS_ONLY = '1';
  try {
    return require('node-gyp-build').path(packageRoot);
  } catch {
    return null;
  }
}

function loadError(file) {
  try {
    require(file);
    return null;
  } catch (error) {
    return String(error.message).split('\n')[0];
  }
}

function compile(reason, { incremental = false } = {}) {
  if (reason) console.error(`process-spawner: ${reason}; compiling the addon from source.`);
  const configured = existsSync(path.join(packageRoot, 'build', 'Makefile'));
  const command = incremental && configured ? 'build' : 'rebuild';
  // npm names its own node-gyp in npm_config_node_gyp (and puts it on the PATH) for every script.
  const nodeGyp = process.env.npm_config_node_gyp;
  const [file, args] = nodeGyp ? [process.execPath, [nodeGyp, command]] : ['node-gyp', [command]];
  const result = spawnSync(file, args, { cwd: packageRoot, stdio: 'inherit' });
  if (result.status === 0) return 0;
  console.error(
    [
      '',
      `process-spawner: compiling the native addon failed${result.error ? ` (${result.error.message})` : ''}; node-gyp's output is above.`,
      '  It needs python3, make and a C++17 compiler (g++ 8 or later): e.g. `apt-get install python3 make g++`,',
      '  then `npm rebuild process-spawner`. Installing with --ignore-scripts skips this step: then',
      '  encodeFrame, FrameDecoder and serve() work, and the first spawn says what is missing.',
    ].join('\n'),
  );
  return result.status ?? 1;
}

function main() {
  const platform = `${process.platform}-${process.arch}`;
  if (existsSync(path.join(packageRoot, '.git'))) return compile(null, { incremental: true });
  const facts = {
    fromSource: process.env.npm_config_build_from_source === 'true',
    prebuild: findPrebuild(),
    glibcRuntime: process.report.getReport().header.glibcVersionRuntime,
    glibcFloor: manifest.prebuilds?.[platform]?.glibc,
  };
  const rejection = prebuildRejection(facts);
  if (rejection !== null) return compile(rejection);
  const failure = loadError(facts.prebuild);
  if (failure !== null) return compile(`the prebuilt binary does not load here (${failure})`);
  return 0;
}

if (require.main === module) process.exitCode = main();
module.exports = { prebuildRejection };
