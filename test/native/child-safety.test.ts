// What must hold before the shared-memory clone can be the default (see native/child.h): the child
// never enters the dynamic linker, credentials changes fork instead, and a process keeps its
// environment snapshot. Faults (a refused clone, a failed error-pipe read) are in
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

  it('gives the child a snapshot of the environment taken in the parent, never the live environ', async () => {
    // process.env changes reach the C environ in the main thread; the child sees them as of the spawn.
    const run = await expectNoLeaks(() =>
      runToCompletion(
        process.execPath,
        [
          '-e',
          `process.env.PS_SNAPSHOT = 'at-spawn';
           const { spawn } = require('process-spawner');
           const child = spawn('/bin/sh', ['-c', 'echo "$PS_SNAPSHOT"'], { stdio: ['ignore', 'pipe', 'inherit'] });
           process.env.PS_SNAPSHOT = 'after-spawn';
           child.stdout.pipe(process.stdout);`,
        ],
        { cwd: ROOT },
      ),
    );
    expect(run.stdout, describeRun(run)).toBe('at-spawn\n');
  });
});
