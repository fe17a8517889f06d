// The Sync half of the conformance table (see index.test.ts): each behaviour runs once
// against node:child_process and once against ours, and what it observes must be deep-equal. The
// cases follow Node 20's test/parallel/test-child-process-spawnsync*.js, -execsync*.js and
// -execfilesync*.js, without the parts that need --expose-internals. Pids become their type
// (0 stays 0: a spawn that failed reports pid 0 in both). Our side must leave no fd and no zombie.
import * as node from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ours from '../../src/child_process';
import { childProcesses, eventually, expectNoLeaks } from '../helpers/leaks';

interface SyncModule {
  spawnSync: typeof node.spawnSync;
  execSync: typeof node.execSync;
  execFileSync: typeof node.execFileSync;
}

interface Behaviour {
  name: string;
  run(cp: SyncModule): unknown;
}

const repoRoot = path.join(__dirname, '..', '..');
const fixture = path.join(__dirname, '..', 'fixtures', 'sync-stdio.js');
let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'child-process-sync-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Observing

/** An error as a program sees it: class, message and own fields; a pid as its type; itself as 'self'. */
function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  // childStep is ours alone: the step in the child that failed, which Node cannot know.
  const { childStep: _ours, ...fields } = { ...error } as Record<string, unknown>;
  if (fields['error'] === error) fields['error'] = 'self';
  if (typeof fields['pid'] === 'number') fields['pid'] = pidShown(fields['pid']);
  return { class: error.constructor.name, name: error.name, message: error.message, ...fields };
}

function pidShown(pid: number): unknown {
  return pid === 0 ? 0 : typeof pid;
}

/** A spawnSync result, with its keys in order (Node's own order is part of what a log shows). */
function result(returned: node.SpawnSyncReturns<string | Buffer>): unknown {
  const shown: Record<string, unknown> = { ...returned, pid: pidShown(returned.pid) };
  if ('error' in returned) shown['error'] = describeError(returned.error);
  return { keys: Object.keys(returned), ...shown };
}

function thrown(run: () => unknown): unknown {
  try {
    return { returned: run() };
  } catch (error) {
    return { threw: describeError(error) };
  }
}

/** What a node process running the fixture with this module wrote and how it ended. */
function fixtureRun(module: SyncModule, name: string): unknown {
  const moduleName = module === node ? 'node:child_process' : 'process-spawner/child_process';
  const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
  const run = node.spawnSync(process.execPath, [fixture, moduleName, name], { cwd: repoRoot, env, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

// Node's test-child-process-spawnsync-validation-errors.js: pass() expects the ENOENT result,
// fail() the thrown error.
function validation(cp: SyncModule, option: string, value: unknown): unknown {
  try {
    const returned = cp.spawnSync('not_a_real_command', { [option]: value } as node.SpawnSyncOptions);
    return returned.error === undefined ? 'no error' : (returned.error as NodeJS.ErrnoException).code;
  } catch (error) {
    const { code, name, message } = error as NodeJS.ErrnoException;
    return { code, name, message };
  }
}

const noop = (): void => {};
const validationTable: [string, unknown[]][] = [
  ['cwd', [undefined, null, 0, 1, true, false, [], {}, noop]],
  ['detached', [undefined, null, true, false, 0, 1, 'dir', [], {}, noop]],
  ['uid', [undefined, null, 'dir', true, false, [], {}, noop, NaN, Infinity, 3.1, -3.1]],
  ['gid', [undefined, null, 'dir', true, false, [], {}, noop, NaN, Infinity, 3.1, -3.1]],
  ['shell', [undefined, null, false, 0, 1, [], {}, noop]],
  ['argv0', [undefined, null, 'myArgv0', 0, 1, true, false, [], {}, noop]],
  ['windowsHide', [undefined, null, true, false, 0, 1, 'dir', [], {}, noop]],
  ['windowsVerbatimArguments', [undefined, null, true, false, 0, 1, 'dir', [], {}, noop]],
  ['timeout', [undefined, null, 1, 0, -1, true, false, 'dir', [], {}, noop, NaN, Infinity, 3.1, -3.1]],
  ['maxBuffer', [undefined, null, 1, 0, Infinity, 3.14, -1, NaN, -Infinity, true, false, 'dir', [], {}, noop]],
  ['killSignal', [undefined, null, 'SIGKILL', 'SIGNOTAVALIDSIGNALNAME', true, false, [], {}, noop, 500, 0, -200, 3.14, 'constructor', 'toString']],
];

const printBoth = ['-e', 'console.log("this is stdout"); console.error("this is stderr")'];
const nodeWithoutCerts = (): NodeJS.ProcessEnv => {
  const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
  return env;
};

// ---------------------------------------------------------------------------------------------
// The table

const behaviours: Behaviour[] = [
  // test-child-process-spawnsync.js
  { name: 'spawnSync: sleep 0 exits 0', run: (cp) => result(cp.spawnSync('sleep', ['0'])) },
  {
    name: 'spawnSync: a command that does not exist gives the ENOENT result, pid 0 and no output',
    run: (cp) => result(cp.spawnSync('command_does_not_exist', ['bar'])),
  },
  { name: 'spawnSync: cwd', run: (cp) => result(cp.spawnSync('pwd', [], { cwd: '/' })) },
  {
    name: "spawnSync: encoding 'buffer', 'utf8', 'hex' and none",
    run: (cp) =>
      [undefined, 'buffer', 'utf8', 'hex'].map((encoding) =>
        result(cp.spawnSync('pwd', { cwd: '/', encoding: encoding as BufferEncoding })),
      ),
  },
  // test-child-process-spawnsync-input.js
  {
    name: 'spawnSync: an input that is not a string or a buffer throws ERR_INVALID_ARG_TYPE',
    run: (cp) => thrown(() => cp.spawnSync('cat', [], { input: 1234 as unknown as string })),
  },
  {
    name: 'spawnSync: input as a string, a Buffer, a Uint8Array and a DataView reaches cat',
    run: (cp) =>
      ['hello world', Buffer.from('hello world'), Uint8Array.from(Buffer.from('hello world')), new DataView(Buffer.from('hi').buffer, 0, 2)].map(
        (input) => result(cp.spawnSync('cat', [], { input })),
      ),
  },
  {
    name: "spawnSync: '' and 0 as input are no input",
    run: (cp) => [result(cp.spawnSync('cat', [], { input: '' })), result(cp.spawnSync('cat', [], { input: 0 as unknown as string }))],
  },
  {
    name: 'spawnSync: stdout and stderr of a Node child, as Buffers and as strings',
    run: (cp) => [
      result(cp.spawnSync(process.execPath, printBoth, { env: nodeWithoutCerts() })),
      result(cp.spawnSync(process.execPath, printBoth, { env: nodeWithoutCerts(), encoding: 'utf8' })),
    ],
  },
  {
    name: "spawnSync: stdio 'inherit' and ['inherit' x3] write to the parent's own stdout and stderr",
    run: (cp) => [fixtureRun(cp, 'spawnSyncInherit'), fixtureRun(cp, 'spawnSyncInheritArray')],
  },
  {
    name: "spawnSync: 'ignore', an fd, and extra pipe slots (output[3] is read)",
    run: (cp) => [
      result(cp.spawnSync('sh', ['-c', 'echo x; echo y >&2'], { stdio: ['ignore', 'pipe', 'ignore'] })),
      result(cp.spawnSync('sh', ['-c', 'echo x >&3'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })),
      result(cp.spawnSync('sh', ['-c', 'echo x'], { stdio: ['pipe', 'pipe', 'pipe', 'ignore', 'pipe'] })),
    ],
  },
  // test-child-process-spawnsync-maxbuf.js
  {
    name: 'spawnSync: past maxBuffer, ENOBUFS, the whole read kept, and the child killed',
    run: (cp) => result(cp.spawnSync('sh', ['-c', 'echo "this is stdout"; exec sleep 5'], { maxBuffer: 1 })),
  },
  {
    name: 'spawnSync: maxBuffer counts stdout and stderr together',
    run: (cp) => result(cp.spawnSync('sh', ['-c', 'printf abc; printf def >&2; exec sleep 5'], { maxBuffer: 4 })),
  },
  {
    name: 'spawnSync: maxBuffer Infinity and 0 are no limit',
    run: (cp) => [result(cp.spawnSync('sh', ['-c', 'echo abcdef'], { maxBuffer: Infinity })), result(cp.spawnSync('sh', ['-c', 'echo abcdef'], { maxBuffer: 0 }))],
  },
  // test-child-process-spawnsync-timeout.js, -kill-signal.js
  {
    name: 'spawnSync: timeout kills with SIGTERM and reports ETIMEDOUT',
    run: (cp) => result(cp.spawnSync('sleep', ['5'], { timeout: 100 })),
  },
  {
    name: 'spawnSync: killSignal as a name, a number, and an unknown name',
    run: (cp) => [
      result(cp.spawnSync('sleep', ['5'], { timeout: 50, killSignal: 'SIGKILL' })),
      result(cp.spawnSync('sleep', ['5'], { timeout: 50, killSignal: constants.signals.SIGINT })),
      thrown(() => cp.spawnSync('sleep', ['5'], { timeout: 50, killSignal: 'SIG_NOT_A_REAL_SIGNAL' as NodeJS.Signals })),
    ],
  },
  {
    name: 'spawnSync: a child that ends before the timeout is not killed',
    run: (cp) => result(cp.spawnSync('sh', ['-c', 'echo quick'], { timeout: 5000 })),
  },
  // test-child-process-spawnsync-shell.js, -env.js, -args.js
  {
    name: 'spawnSync with shell: a missing command is the shell exiting 127, not ENOENT',
    run: (cp) => {
      const returned = cp.spawnSync('does-not-exist', { shell: true });
      return { error: returned.error, signal: returned.signal, status: returned.status };
    },
  },
  {
    name: 'spawnSync with shell: the arguments joined, pipes, and env',
    run: (cp) => [
      result(cp.spawnSync('echo', ['foo'], { shell: true })),
      result(cp.spawnSync('echo bar | cat', { shell: true })),
      result(cp.spawnSync('echo "$BAZ"', { env: { ...process.env, BAZ: 'buzz' }, shell: true })),
      result(cp.spawnSync('echo "$0"', { shell: '/bin/sh' })),
    ],
  },
  {
    name: 'spawnSync: env replaces the environment; argv0 is what the program sees',
    run: (cp) => [
      result(cp.spawnSync('/usr/bin/env', [], { env: { ONLY: 'this' } })),
      result(cp.spawnSync('sh', ['-c', 'echo "$0"'], { argv0: 'renamed' })),
    ],
  },
  {
    name: 'spawnSync: a child killed by a signal: status null, signal set, no error',
    run: (cp) => result(cp.spawnSync('sh', ['-c', 'kill -9 $$'])),
  },
  {
    name: 'spawnSync: a cwd that does not exist is ENOENT in the result',
    run: (cp) => result(cp.spawnSync('pwd', { cwd: '/nonexistent-for-conformance' })),
  },
  {
    name: 'spawnSync: a file that is not executable is EACCES in the result',
    run: (cp) => result(cp.spawnSync('/etc/passwd')),
  },
  // test-child-process-spawnsync-validation-errors.js
  {
    name: 'spawnSync: option validation, value by value',
    run: (cp) =>
      validationTable.map(([option, values]) => [
        option,
        values.map((value) => validation(cp, option, value)),
      ]),
  },
  {
    name: 'spawnSync: every signal name, lower-case name and number is a valid killSignal',
    run: (cp) =>
      Object.entries(constants.signals).flatMap(([name, number]) =>
        [name, name.toLowerCase(), number].map((value) => validation(cp, 'killSignal', value)),
      ),
  },
  {
    name: 'spawnSync: a bad file or argument throws before any process exists',
    run: (cp) => [
      thrown(() => cp.spawnSync('')),
      thrown(() => cp.spawnSync(42 as unknown as string)),
      thrown(() => cp.spawnSync('echo', ['a\0b'])),
      thrown(() => cp.spawnSync('echo', 'notarray' as unknown as string[])),
    ],
  },
  // lib/child_process.js spawnSync -> getValidStdio(stdio, true): no channel for a synchronous child.
  {
    name: "spawnSync, execSync, execFileSync: an 'ipc' slot throws ERR_IPC_SYNC_FORK, after the timeout, maxBuffer and killSignal checks",
    run: (cp) => {
      const ipc = ['pipe', 'pipe', 'pipe', 'ipc'] as node.StdioOptions;
      return {
        spawnSync: thrown(() => cp.spawnSync('true', [], { stdio: ipc })),
        spawnSyncFirstSlot: thrown(() => cp.spawnSync('true', { stdio: ['ipc'] })),
        twoChannels: thrown(() => cp.spawnSync('true', { stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'ipc'] })),
        missingProgram: thrown(() => cp.spawnSync('no-such-program-for-conformance', { stdio: ipc })),
        withInput: thrown(() => cp.spawnSync('cat', { stdio: ipc, input: 'x' })),
        execSync: thrown(() => cp.execSync('true', { stdio: ipc })),
        execFileSync: thrown(() => cp.execFileSync('true', [], { stdio: ipc })),
        badTimeoutFirst: thrown(() => cp.spawnSync('true', { stdio: ipc, timeout: -1 })),
        badMaxBufferFirst: thrown(() => cp.spawnSync('true', { stdio: ipc, maxBuffer: -1 })),
        badKillSignalFirst: thrown(() => cp.spawnSync('true', { stdio: ipc, killSignal: 'SIGNOPE' as NodeJS.Signals })),
        badFileFirst: thrown(() => cp.spawnSync('', { stdio: ipc })),
      };
    },
  },
  // test-child-process-execsync-maxbuf.js, test-child-process-execfilesync-maxbuf.js
  {
    name: 'execSync: past maxBuffer it throws ENOBUFS with the output',
    run: (cp) => thrown(() => cp.execSync('echo "this is stdout"; exec sleep 5', { maxBuffer: 1 })),
  },
  {
    name: 'execFileSync: past maxBuffer it throws ENOBUFS with the output',
    run: (cp) => thrown(() => cp.execFileSync('sh', ['-c', 'echo "this is stdout"; exec sleep 5'], { maxBuffer: 1 })),
  },
  {
    name: 'execSync and execFileSync: maxBuffer Infinity',
    run: (cp) => [cp.execSync('echo this is stdout', { maxBuffer: Infinity }), cp.execFileSync('echo', ['this is stdout'], { maxBuffer: Infinity })],
  },
  {
    name: 'execSync: the default maxBuffer is 1 MiB (stdout of exactly 1 MiB passes, one byte more does not)',
    run: (cp) => {
      const write = (bytes: number): string => `head -c ${bytes} /dev/zero`;
      const fits = cp.execSync(write(1024 * 1024)).length;
      const over = thrown(() => cp.execSync(write(1024 * 1024 + 1)));
      const { code, stdout } = (over as { threw: { code: string; stdout: Buffer } }).threw;
      return { fits, over: { code, stdoutLength: stdout.length } };
    },
  },
  // test-child-process-execsync.js
  {
    name: 'execSync: a timeout throws ETIMEDOUT with the result fields',
    // `exec`: the timeout's signal reaches sleep itself, not a shell that would leave it orphaned.
    run: (cp) => thrown(() => cp.execSync('exec sleep 5', { timeout: 100 })),
  },
  {
    name: 'execSync: a failed command throws `Command failed: <cmd>` with its stderr',
    run: (cp) => thrown(() => cp.execSync('iamabadcommand', { stdio: 'pipe' })),
  },
  {
    name: "execSync: exit -1 with stdio 'ignore': the message has no stderr",
    run: (cp) => thrown(() => cp.execSync('exit -1', { stdio: 'ignore' })),
  },
  {
    name: 'execSync: a child killed by a signal throws with signal set and status null',
    run: (cp) => thrown(() => cp.execSync('kill -9 $$', { stdio: 'pipe' })),
  },
  {
    name: 'execSync and execFileSync: encoding utf8 returns a string; input reaches stdin',
    run: (cp) => [
      cp.execSync('echo "$((6 * 7))"', { encoding: 'utf8' }),
      cp.execFileSync('echo', ['hello'], { encoding: 'utf8' }),
      cp.execSync('tr a-z A-Z', { input: 'shout\n', encoding: 'utf8' }),
      cp.execFileSync('cat', { input: Buffer.from('raw') }),
    ],
  },
  {
    name: 'execFileSync: a non-zero exit throws the spawnSync result as fields, message without stderr when there is none',
    run: (cp) => thrown(() => cp.execFileSync('sh', ['-c', 'exit 1'])),
  },
  {
    name: "execFileSync: with stdio 'pipe' the message ends with the child's stderr; argv0 names the command",
    run: (cp) => [
      thrown(() => cp.execFileSync('sh', ['-c', 'echo e >&2; exit 1'], { stdio: 'pipe', encoding: 'utf8' })),
      // @types/node 20 leaves argv0 out of ExecFileSyncOptions; Node reads it.
      thrown(() => cp.execFileSync('sh', ['-c', 'exit 1'], { stdio: 'pipe', argv0: 'zz' } as node.ExecFileSyncOptions)),
    ],
  },
  {
    name: "execFileSync: with stdio 'inherit', stderr is null on the error",
    run: (cp) => thrown(() => cp.execFileSync('sh', ['-c', 'exit 1'], { stdio: 'inherit' })),
  },
  {
    name: 'execFileSync: ENOENT is thrown as the spawnSync error, carrying the result (error === itself)',
    run: (cp) => thrown(() => cp.execFileSync('command_does_not_exist', ['a'])),
  },
  {
    name: 'execFileSync with shell, cwd and env',
    run: (cp) => cp.execFileSync('echo "$PWD $FOO"', [], { cwd: '/', env: { FOO: 'bar', PATH: process.env['PATH'] }, shell: true, encoding: 'utf8' }),
  },
  {
    name: "execSync and execFileSync: without stdio, the child's stderr is written to ours; with stdio, not",
    run: (cp) => ['execSyncDefault', 'execSyncPipe', 'execFileSyncDefault', 'execFileSyncFailing'].map((name) => fixtureRun(cp, name)),
  },
  {
    name: 'execSync: inherited option properties are ignored (Node copies own properties only)',
    run: (cp) => {
      const options = Object.create({ encoding: 'utf8', input: 'inherited' }) as node.ExecSyncOptions;
      return cp.execSync('cat', options);
    },
  },
];

/** Node's side: no zombie and no running child may be left behind. */
async function expectNoChildrenLeft<T>(body: () => T): Promise<T> {
  const before = new Set(childProcesses().map((child) => child.pid));
  const returned = body();
  await eventually(() => expect(childProcesses().filter((child) => !before.has(child.pid))).toEqual([]));
  return returned;
}

async function conforms(behaviour: Behaviour): Promise<void> {
  const expected = await expectNoChildrenLeft(() => behaviour.run(node));
  const actual = await expectNoLeaks(() => behaviour.run(ours));
  expect(actual).toEqual(expected);
}

describe('child_process Sync conformance: node:child_process and ours observe the same', () => {
  it.each(behaviours.map((behaviour) => [behaviour.name, behaviour] as const))('%s', (_name, behaviour) => conforms(behaviour), 20_000);
});
