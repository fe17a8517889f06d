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
//
// Compiling uses the headers of the Node that runs this script when it has them
// (<prefix>/include/node, as official tarballs and most packages install them), so that nothing is
// downloaded; without them node-gyp downloads them from its dist-url. When compiling fails, the
// message names the step that failed: Node's headers, Python, make or the compiler.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const packageRoot = path.join(__dirname, '..');
const manifest = require(path.join(packageRoot, 'package.json'));
// node-gyp prints its output as it goes; the end of it is kept to tell what failed.
const KEPT_OUTPUT_CHARS = 256 * 1024;

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

/** Where this Node's headers would be: its installation prefix, whose include/node has them. */
function ownPrefix() {
  return path.resolve(path.dirname(process.execPath), '..');
}

function hasNodeHeaders(nodedir) {
  const include = path.join(nodedir, 'include', 'node');
  return existsSync(path.join(include, 'node_api.h')) && existsSync(path.join(include, 'common.gypi'));
}

/**
 * The nodedir to give node-gyp: this Node's own prefix when its headers are there, unless the
 * user named a nodedir (node-gyp reads npm_config_nodedir itself) or builds for another Node
 * (npm_config_target, npm_config_runtime). null: node-gyp's default, a download into its cache.
 */
function localNodeDir(env = process.env) {
  if (env.npm_config_nodedir) return null;
  const target = env.npm_config_target;
  if (target && target.replace(/^v/, '') !== process.versions.node) return null;
  if (env.npm_config_runtime && env.npm_config_runtime !== 'node') return null;
  const prefix = ownPrefix();
  return hasNodeHeaders(prefix) ? prefix : null;
}

/** Runs node-gyp with its output passed through as it comes; resolves with its status and the end of its output. */
function runNodeGyp(args) {
  // npm names its own node-gyp in npm_config_node_gyp (and puts it on the PATH) for every script.
  const nodeGyp = process.env.npm_config_node_gyp;
  const [file, fileArgs] = nodeGyp ? [process.execPath, [nodeGyp, ...args]] : ['node-gyp', args];
  return new Promise((resolve) => {
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
    };
    const child = spawn(file, fileArgs, { cwd: packageRoot, stdio: ['inherit', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => process.stdout.write(chunk));
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => resolve({ status: null, output, error }));
    child.once('close', (status) => resolve({ status, output, error: null }));
  });
}

/** The program a command variable names (`ccache g++` runs ccache), and whether the PATH has it. */
function commandFound(command, env) {
  const program = command.trim().split(/\s+/)[0] ?? '';
  if (program.includes('/')) return existsSync(program);
  return (env.PATH ?? '').split(':').some((directory) => directory !== '' && existsSync(path.join(directory, program)));
}

/** The compilers the generated Makefile runs: $CXX (make's default g++) and, for gyp, $CC (cc). */
function compilers(env) {
  return [
    { role: 'C++ compiler', variable: 'CXX', command: env.CXX_target || env.CXX || 'g++' },
    { role: 'C compiler', variable: 'CC', command: env.CC_target || env.CC || 'cc' },
  ];
}

/**
 * What failed, from node-gyp's output and this machine, in node-gyp's own order: finding Python,
 * getting Node's headers, finding make, compiling. `nodedir` is the one we passed, if any.
 */
function diagnose({ status, output, error }, nodedir, env = process.env) {
  if (error) {
    return { what: `node-gyp could not be run (${error.message})`, fix: 'Run the install through npm (`npm rebuild process-spawner`), which brings node-gyp.' };
  }
  if (/Could not find any Python installation to use|Found unsupported Python version/.test(output)) {
    return {
      what: 'no Python 3 was found (node-gyp runs gyp with it)',
      fix: 'Install python3 (`apt-get install python3`), or name one in the PYTHON environment variable.',
    };
  }
  const headers = headersFailure(output, nodedir, env);
  if (headers) return headers;
  const make = env.MAKE || 'make';
  if (output.includes(`not found: ${make}`)) {
    return { what: `${make} was not found on the PATH`, fix: 'Install make (`apt-get install make`).' };
  }
  const missing = compilers(env).filter((compiler) => !commandFound(compiler.command, env));
  if (missing.length > 0) {
    const named = missing.map(({ role, variable, command }) => `the ${role} \`${command}\`${env[variable] || env[`${variable}_target`] ? ` (from $${variable})` : ''}`);
    return {
      what: `${named.join(' and ')} ${missing.length === 1 ? 'was' : 'were'} not found`,
      fix: 'Install g++ (`apt-get install g++`, which brings cc too), or name a C++17 compiler in CXX.',
    };
  }
  const failedObject = /obj\.target\/process_spawner\/(\S+)\.o\] Error/.exec(output);
  if (failedObject) {
    return { what: `the C++ compiler failed on ${failedObject[1]}.cc (its errors are above)`, fix: 'It needs C++17: g++ 8 or later, or clang 7 or later, named in CXX.' };
  }
  if (/process_spawner\.node\] Error/.test(output)) {
    return { what: 'linking the addon failed (the linker\'s errors are above)', fix: 'Check the toolchain (binutils) that the C++ compiler uses.' };
  }
  return { what: `node-gyp failed${status === null ? '' : ` with status ${status}`} (its output is above)`, fix: '' };
}

/** Node's headers, when gyp's configure step failed for them: not in the nodedir, or not downloaded. */
function headersFailure(output, nodedir, env) {
  if (!/gyp ERR! configure error/.test(output)) return null;
  const given = nodedir ?? env.npm_config_nodedir;
  if (given && !hasNodeHeaders(given)) {
    return {
      what: `Node's headers are not in ${path.join(given, 'include', 'node')}${nodedir ? '' : ' (npm_config_nodedir)'}`,
      fix: 'Point npm_config_nodedir at the prefix of a Node installation that has include/node, or unset it.',
    };
  }
  const download = /gyp http GET (\S+)/.exec(output);
  if (!given && download) {
    const reason = /gyp ERR! stack (?:\w*Error: )?(.+)/.exec(output)?.[1] ?? 'see above';
    const own = path.join(ownPrefix(), 'include', 'node');
    return {
      what: `downloading Node's headers from ${download[1]} failed (${reason.trim()})`,
      fix: [
        hasNodeHeaders(ownPrefix())
          ? 'The build is for another Node (npm_config_target, npm_config_runtime), whose headers node-gyp downloads.'
          : `This Node has no headers in ${own}, so node-gyp downloads them.`,
        '  Install the headers of this Node (its official tarball has include/node; Debian and Ubuntu:',
        '  libnode-dev), or point npm_config_nodedir at a prefix that has them, or let node-gyp reach',
        '  its dist-url (npm_config_dist_url names a mirror).',
      ].join('\n'),
    };
  }
  return null;
}

function failureMessage({ what, fix }) {
  return [
    '',
    `process-spawner: compiling the native addon failed: ${what}.`,
    ...(fix ? [`  ${fix}`] : []),
    "  Compiling needs Node's headers (this Node's own, or a download), python3, make and a C++17",
    '  compiler (g++ 8 or later): e.g. `apt-get install python3 make g++`, then `npm rebuild process-spawner`.',
    '  Installing with --ignore-scripts skips this step: then encodeFrame, FrameDecoder and serve()',
    '  work, and the first spawn says what is missing.',
  ].join('\n');
}

async function compile(reason, { incremental = false } = {}) {
  if (reason) console.error(`process-spawner: ${reason}; compiling the addon from source.`);
  const configured = incremental && existsSync(path.join(packageRoot, 'build', 'Makefile'));
  const nodedir = configured ? null : localNodeDir();
  const args = configured ? ['build'] : ['rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const result = await runNodeGyp(args);
  if (result.status === 0) return 0;
  console.error(failureMessage(diagnose(result, nodedir)));
  return result.status || 1;
}

async function main() {
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

if (require.main === module) {
  main().then((status) => {
    process.exitCode = status;
  });
}
module.exports = { prebuildRejection, localNodeDir };
