// What must hold before the shared-memory clone can be the default (see native/child/child.h): the child
// never enters the dynamic linker, credentials changes fork instead, and a process keeps its
// environment copy. Faults (a refused clone, a failed error-pipe read) are in
// test/faults/inject.test.ts; the signal resets up to 64 in test/native/strace.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { describeRun, runToCompletion } from '../helpers/run';
import { findExecutable } from '../helpers/strace';

const ROOT = path.join(__dirname, '..', '..');
const ADDON = process.env['PROCESS_SPAWNER_ADDON'] ?? path.join(ROOT, 'build', 'Release', 'process_spawner.node');
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'spawn-once.js');
const READELF = findExecutable('readelf');
const STRACE = findExecutable('strace');
const ENVIRON_RACE = path.join(__dirname, '..', 'fixtures', 'environ-race.js');
// Long enough for the worker thread to run on a busy machine; only the child's execve waits it.
const EXEC_DELAY_US = 2_000_000;

describe('the addon as linked', () => {
  it('binds every symbol at load and is never unloaded (readelf -d: BIND_NOW, NODELETE)', (context) => {
    context.skip(READELF === null, 'readelf (binutils) is not installed');
    const dynamic = execFileSync(READELF as string, ['-d', ADDON], { encoding: 'utf8' });
    expect(dynamic).toMatch(/\(FLAGS\)\s+BIND_NOW/);
    expect(dynamic).toMatch(/\(FLAGS_1\)\s+Flags:.*\bNOW\b/);
    expect(dynamic).toMatch(/\(FLAGS_1\)\s+Flags:.*\bNODELETE\b/);
  });

  it.each(['vfork', 'fork'] as const)(
    'runs no dynamic-linker binding in a %s child (LD_DEBUG=bindings)',
    async (spawnMethod) => {
      const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-ld-debug-'));
      try {
        const run = await expectNoLeaks(() =>
          runToCompletion(process.execPath, [FIXTURE, '/bin/true'], {
            env: {
              PATH: process.env['PATH'] ?? '/usr/bin:/bin',
              PROCESS_SPAWNER_SPAWN_METHOD: spawnMethod,
              LD_DEBUG: 'bindings',
              LD_DEBUG_OUTPUT: path.join(directory, 'ld'),
            },
          }),
        );
        expect(run.exit.exitCode, describeRun(run)).toBe(0);
        const printed = JSON.parse(run.stdout.split('\n')[1] ?? '') as { pid: number; exitCode: number };
        expect(printed.exitCode).toBe(0);
        // One file per pid. The child's holds what /bin/true bound after exec, and must hold
        // nothing bound for the addon, which only the child path before exec could have done.
        const files = readdirSync(directory);
        expect(files).toContain(`ld.${printed.pid}`);
        const parentLog = readFileSync(path.join(directory, files.find((name) => name !== `ld.${printed.pid}`) as string), 'utf8');
        expect(parentLog, 'the parent binds the addon at load').toMatch(/binding file .*process_spawner\.node/);
        const childLog = readFileSync(path.join(directory, `ld.${printed.pid}`), 'utf8');
        expect(childLog.split('\n').filter((line) => line.includes('process_spawner'))).toEqual([]);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  );
});

describe('the vfork method', () => {
  const script = (options: string) => `
    const { spawn } = require('process-spawner');
    const child = spawn('/bin/true', [], { stdio: 'ignore', spawnMethod: 'vfork', ${options} });
    child.exited.then((info) => process.stdout.write(JSON.stringify({ exitCode: info.exitCode })));
  `;

  it('forks instead when uid, gid or groups are set, so this process stays dumpable', async () => {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const run = await expectNoLeaks(() =>
      runToCompletion(process.execPath, ['-e', script(`uid: ${uid}, gid: ${gid}`)], {
        cwd: ROOT,
        env: { ...process.env, NODE_DEBUG: 'process-spawner' },
      }),
    );
    expect(run.stdout, describeRun(run)).toBe('{"exitCode":0}');
    expect(run.stderr).toMatch(/forked instead of vfork \(uid\/gid\/groups set\)/);
  });

  it('does not fork without credentials (no fallback note)', async () => {
    const run = await expectNoLeaks(() =>
      runToCompletion(process.execPath, ['-e', script('')], {
        cwd: ROOT,
        env: { ...process.env, NODE_DEBUG: 'process-spawner' },
      }),
    );
    expect(run.stdout, describeRun(run)).toBe('{"exitCode":0}');
    expect(run.stderr).not.toMatch(/forked instead/);
  });

  it('gives the child a copy of the environment made before the clone, never the live environ', async (context) => {
    context.skip(STRACE === null, 'strace is not installed (.ci/run installs it from Debian packages)');
    // A child that passed the live environ to execve would send what a thread sharing the
    // environment wrote after the clone: strace holds the child's execve for EXEC_DELAY_US, and
    // the fixture's worker thread changes the variable in that window (it checks that it did).
    const run = await expectNoLeaks(() =>
      runToCompletion(
        STRACE as string,
        ['-f', '-qq', '-o', '/dev/null', '-P', '/bin/sh', '-e', 'trace=execve', '-e', `inject=execve:delay_enter=${EXEC_DELAY_US}`, process.execPath, ENVIRON_RACE],
        { cwd: ROOT },
      ),
    );
    expect(run.exit.exitCode, describeRun(run)).toBe(0);
    const { seen, changedBeforeExec } = JSON.parse(run.stdout) as { seen: string; changedBeforeExec: boolean };
    expect(changedBeforeExec, `the worker thread's change did not land between the clone and the exec\n${describeRun(run)}`).toBe(true);
    expect(seen).toBe('at-spawn');
  });
});
