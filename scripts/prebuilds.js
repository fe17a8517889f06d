#!/usr/bin/env node
// `npm run prebuilds` (and so `npm pack`): compiles the addon for this platform with prebuildify
// into prebuilds/<platform>-<arch>/, in a copy of the sources. prebuildify runs
// `node-gyp rebuild` where it stands and moves the binary out of build/Release: in the package's
// own directory that would leave the checkout without the build its tests and benchmarks load.
// Against this Node's own headers when it has them, as the install script compiles.
'use strict';
const { spawnSync } = require('node:child_process');
const { cpSync, mkdtempSync, rmSync, symlinkSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { localNodeDir } = require('./install.js');

const packageRoot = process.cwd();
// What node-gyp reads to compile the addon, and prebuildify to name the binary.
const SOURCES = ['package.json', 'binding.gyp', 'native'];

function main() {
  const copy = mkdtempSync(path.join(tmpdir(), 'process-spawner-prebuild-'));
  try {
    for (const source of SOURCES) cpSync(path.join(packageRoot, source), path.join(copy, source), { recursive: true });
    symlinkSync(path.join(packageRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const nodedir = localNodeDir();
    const env = nodedir === null ? process.env : { ...process.env, npm_config_nodedir: nodedir };
    const prebuildify = require.resolve('prebuildify/bin.js', { paths: [packageRoot] });
    const args = ['--napi', '--strip', '--tag-libc', '--target', process.versions.node, '--cwd', copy, '--out', packageRoot];
    const result = spawnSync(process.execPath, [prebuildify, ...args], { stdio: 'inherit', env });
    if (result.error) throw result.error;
    return result.status ?? 1;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

process.exitCode = main();
