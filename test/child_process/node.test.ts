// The corners where the drop-in used to differ from node:child_process (issue 12): streams as
// stdio slots, cwd '', the [CODE] in error text, options read as own properties only, null bytes
// on every entry point, and `new ChildProcess()` then `child.spawn(options)`. Each behaviour runs
// against both modules and must observe the same.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn as ourSpawn } from '../../src';
import { conforms, expectNoChildrenLeft, node, observe, ours, text, thrown, type Behaviour, type ChildLike, type ChildProcessModule } from '../helpers/conformance';
import { expectNoLeaks } from '../helpers/leaks';

const root = path.join(__dirname, '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'child-process-node-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Stdio = (Readable | Writable | string | null)[];
type SpawnWithStdio = (file: string, args: string[], options: { stdio: Stdio }) => ChildLike;

function exitOf(child: ChildLike): Promise<unknown[]> {
  return new Promise((resolve) => child.on('exit', (...args: unknown[]) => resolve(args)));
}

/** cat | grep | wc -l, each stage spawned by its own module, with the stream of the stage before. */
async function pipeline(stages: [ChildProcessModule, ChildProcessModule, ChildProcessModule]): Promise<unknown> {
  const [first, second, third] = stages.map((cp) => cp.spawn as unknown as SpawnWithStdio) as [SpawnWithStdio, SpawnWithStdio, SpawnWithStdio];
  const cat = first('sh', ['-c', 'printf "ax\\nb\\ncx\\nd\\nxx\\n"'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const grep = second('grep', ['x'], { stdio: [cat.stdout, 'pipe', 'inherit'] });
  const wc = third('wc', ['-l'], { stdio: [grep.stdout, 'pipe', 'inherit'] });
  const [count, ...exits] = await Promise.all([text(wc.stdout), exitOf(cat), exitOf(grep), exitOf(wc)]);
  // As in Node, a stream given to another child is no longer read by us: its 'close' never comes
  // unless we close our copy of the fd.
  cat.stdout?.destroy();
  grep.stdout?.destroy();
  return { count: count?.trim(), exits, sourcePaused: cat.stdout?.readableFlowing };
}

/**
 * Lets a stage spawned as `read go <&3; exec ...` go on, once the stage before it has exited and
 * whatever its module does at that exit (resuming unread streams a tick later) has run.
 */
async function releaseAfter(exitOfStageBefore: Promise<unknown>, stage: ChildLike): Promise<void> {
  await exitOfStageBefore;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const go = stage.stdio[3] as Writable;
  go.end('go\n');
  await new Promise((resolve) => go.once('finish', resolve));
  go.destroy();
}

/** A child's stdin given to another child as its stdout. */
async function intoStdin(cp: ChildProcessModule): Promise<unknown> {
  const spawn = cp.spawn as unknown as SpawnWithStdio;
  const wc = spawn('wc', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const echo = spawn('echo', ['hello'], { stdio: ['ignore', wc.stdin, 'inherit'] });
  const echoed = await exitOf(echo);
  wc.stdin?.end();
  return { echoed, observed: await observe(wc) };
}

/** A connected net.Socket as the child's stdin and stdout: tr answers over TCP. */
async function overSocket(cp: ChildProcessModule): Promise<unknown> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  const socket = await accepted;
  const child = (cp.spawn as unknown as SpawnWithStdio)('tr', ['a-z', 'A-Z'], { stdio: [socket, socket, 'inherit'] });
  const exited = exitOf(child);
  client.end('shout over tcp\n');
  let answer = '';
  await new Promise<void>((resolve) =>
    client.on('data', (chunk: Buffer) => {
      answer += String(chunk);
      if (answer.endsWith('\n')) resolve();
    }),
  );
  const exit = await exited;
  socket.destroy();
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return { answer, exit };
}

const CODES_PROBE = 'sh';

const behaviours: Behaviour[] = [
  {
    name: '1. a stream as a stdio slot: cat | grep | wc -l through the children\'s own stdout',
    run: (cp) => pipeline([cp, cp, cp]),
  },
  {
    name: "1. another child's stdin as stdio[1]",
    run: (cp) => intoStdin(cp),
  },
  {
    name: '1. a connected net.Socket as stdin and stdout',
    run: (cp) => overSocket(cp),
  },
  {
    name: "1. a stream without an fd (a closed one) is ERR_INVALID_ARG_VALUE",
    run: async (cp) => {
      const first = cp.spawn('true', [], {});
      await observe(first);
      return thrown(() => (cp.spawn as unknown as SpawnWithStdio)('cat', [], { stdio: [first.stdout, 'pipe', 'pipe'] }));
    },
  },
  {
    name: '1. a string or bytes as a stdio slot is ERR_INVALID_SYNC_FORK_INPUT; the timeout and killSignal are checked before the stdio',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as (file: string, args: string[], options: object) => ChildLike;
      return {
        string: thrown(() => spawn('true', [], { stdio: ['pipe', 'input', 'pipe'] })),
        buffer: thrown(() => spawn('true', [], { stdio: [Buffer.from('input'), 'pipe', 'pipe'] })),
        timeoutFirst: thrown(() => spawn('true', [], { stdio: ['pipe', {}, 'pipe'], timeout: -1 })),
        killSignalFirst: thrown(() => spawn('true', [], { stdio: 'nope', killSignal: 'SIGNOPE' })),
      };
    },
  },
  {
    name: "2. cwd: '' means unset",
    run: (cp) => observe(cp.spawn('pwd', [], { cwd: '' })),
  },
  {
    name: '3. error text: [CODE] in toString() and in the stack, while name stays the class name',
    run: async (cp) => {
      const errors = {
        outOfRange: () => cp.spawn(CODES_PROBE, [], { timeout: -1 }),
        argType: () => cp.spawn(CODES_PROBE, [], { uid: 'root' as unknown as number }),
        argValue: () => cp.spawn(CODES_PROBE, [], { stdio: 'nope' as 'pipe' }),
        unknownSignal: () => cp.spawn(CODES_PROBE, [], { killSignal: 'SIGNOPE' as NodeJS.Signals }),
      };
      const shown: Record<string, unknown> = {};
      for (const [name, run] of Object.entries(errors)) {
        try {
          run();
        } catch (error) {
          const { stack = '', name: errorName } = error as Error;
          shown[name] = { text: String(error), stackHead: stack.split('\n')[0], name: errorName, keys: Object.keys(error as object) };
        }
      }
      return shown;
    },
  },
  {
    name: '5. null bytes: every string that reaches the kernel, on every entry point, with Node\'s code and message',
    run: async (cp) => {
      const nul = 'a\0b';
      const callback = (): void => undefined;
      const execFile = cp.execFile as unknown as (...args: unknown[]) => ChildLike;
      const exec = cp.exec as unknown as (...args: unknown[]) => ChildLike;
      const fork = cp.fork as unknown as (...args: unknown[]) => ChildLike;
      return {
        spawn: {
          file: thrown(() => cp.spawn(nul, [], {})),
          arg: thrown(() => cp.spawn('echo', ['ok', nul], {})),
          argv0: thrown(() => cp.spawn('echo', [], { argv0: nul })),
          cwd: thrown(() => cp.spawn('echo', [], { cwd: nul })),
          envKey: thrown(() => cp.spawn('echo', [], { env: { [nul]: '1' } })),
          envValue: thrown(() => cp.spawn('echo', [], { env: { A: nul } })),
          shell: thrown(() => cp.spawn('echo', [], { shell: `/bin/${nul}` })),
        },
        execFile: {
          file: thrown(() => execFile(nul, callback)),
          arg: thrown(() => execFile('echo', [nul], callback)),
          argv0: thrown(() => execFile('echo', [], { argv0: nul }, callback)),
          cwd: thrown(() => execFile('echo', [], { cwd: nul }, callback)),
          env: thrown(() => execFile('echo', [], { env: { A: nul } }, callback)),
          shell: thrown(() => execFile('echo', [], { shell: nul }, callback)),
        },
        exec: {
          command: thrown(() => exec(`echo ${nul}`, callback)),
          argv0: thrown(() => exec('echo', { argv0: nul }, callback)),
          cwd: thrown(() => exec('echo', { cwd: nul }, callback)),
          env: thrown(() => exec('echo', { env: { [nul]: 'x' } }, callback)),
          shell: thrown(() => exec('echo', { shell: nul }, callback)),
        },
        fork: {
          modulePath: thrown(() => fork(nul)),
          arg: thrown(() => fork('x.js', ['ok', nul])),
          execPath: thrown(() => fork('x.js', [], { execPath: nul })),
          execArgv: thrown(() => fork('x.js', [], { execArgv: [nul] })),
        },
      };
    },
  },
  {
    name: "7. a wrapper of ChildProcess.prototype.spawn (nyc's spawn-wrap) gets Node's options from spawn(), and what it changes there runs",
    run: async (cp) => {
      const { prototype } = (cp as unknown as { ChildProcess: { prototype: { spawn(options: Record<string, unknown>): unknown } } }).ChildProcess;
      const original = prototype.spawn;
      const seen: unknown[] = [];
      prototype.spawn = function (this: unknown, options: Record<string, unknown>): unknown {
        const { envPairs, ...rest } = options;
        const pairs = envPairs as string[];
        seen.push({ ...rest, envPairs: { isArray: Array.isArray(pairs), hasPath: pairs.some((pair) => pair.startsWith('PATH=')) } });
        (options['args'] as string[]).push('added');
        pairs.push('ADDED_BY_WRAPPER=yes');
        return original.call(this, options);
      };
      try {
        const script = 'echo "$0 $1 $2 $ADDED_BY_WRAPPER"';
        const plain = await observe(cp.spawn('sh', ['-c', script, 'zero', 'one'], {}));
        const withEnv = await observe(cp.spawn('sh', ['-c', script, 'zero'], { env: { PATH: process.env['PATH'] ?? '' }, cwd: '/', stdio: 'pipe' }));
        return { plain, withEnv, seen };
      } finally {
        prototype.spawn = original;
      }
    },
  },
  {
    name: '6. new ChildProcess() then child.spawn(options): file, args with argv[0], envPairs, cwd',
    run: async (cp) => {
      const { ChildProcess } = cp as unknown as { ChildProcess: new () => ChildLike & { spawn(options: object): unknown } };
      const child = new ChildProcess();
      const before = { pid: child.pid, spawnfile: child.spawnfile, connected: child.connected, exitCode: child.exitCode, killed: child.killed, stdin: child.stdin, stdio: child.stdio };
      child.spawn({ file: 'sh', args: ['custom-argv0', '-c', 'echo "$0 $1 $FOO"; pwd', 'x'], envPairs: ['FOO=bar'], cwd: '/' });
      return { before, spawnfile: child.spawnfile, spawnargs: child.spawnargs, observed: await observe(child) };
    },
  },
  {
    name: '6. child.spawn(options): a missing program is an error event; bad options throw Node\'s errors',
    run: async (cp) => {
      const { ChildProcess } = cp as unknown as { ChildProcess: new () => ChildLike & { spawn(options?: unknown): unknown } };
      const missing = new ChildProcess();
      missing.spawn({ file: 'no-such-program-for-conformance', args: ['no-such-program-for-conformance', 'a'] });
      return {
        noFile: thrown(() => new ChildProcess().spawn({})),
        noOptions: thrown(() => new ChildProcess().spawn()),
        badArgs: thrown(() => new ChildProcess().spawn({ file: 'x', args: 'a' })),
        badSerialization: thrown(() => new ChildProcess().spawn({ file: 'x', serialization: 'x' })),
        missing: await observe(missing),
      };
    },
  },
];

describe('differences from Node, closed: node:child_process and ours observe the same', () => {
  it.each(behaviours.map((behaviour) => [behaviour.name, behaviour] as const))('%s', (_name, behaviour) => conforms(behaviour));
});

describe('streams as stdio slots across modules', () => {
  const drop = ours as unknown as ChildProcessModule;
  const mixes = [
    ['node, ours, node', [node, drop, node]],
    ['ours, node, ours', [drop, node, drop]],
    ['node, node, ours', [node, node, drop]],
    ['ours, ours, node', [drop, drop, node]],
    ['node, ours, ours', [node, drop, drop]],
    ['ours, node, node', [drop, node, node]],
  ] as const;

  // The race this closes: a module's ChildProcess resumes its unread stdout at exit; when that
  // stream had been given to a later stage by the other module, the resume made us read the
  // data that stage was waiting for, whenever the earlier stage exited first (one run in two).
  it.each(mixes)('cat | grep | wc -l with the stages spawned by %s, ten times', async (_name, stages) => {
    await expectNoChildrenLeft(async () => {
      for (let run = 0; run < 10; run++) {
        const result = await pipeline(stages as unknown as [ChildProcessModule, ChildProcessModule, ChildProcessModule]);
        expect(result).toMatchObject({ count: '3' });
      }
    });
  });

  // The same race made certain: each stage reads only once the stage before it has exited.
  it.each(mixes)('stages that read only after the stage before exited still get everything: %s', (_name, stages) =>
    expectNoChildrenLeft(async () => {
      const [first, second, third] = stages.map((cp) => cp.spawn as unknown as SpawnWithStdio) as [SpawnWithStdio, SpawnWithStdio, SpawnWithStdio];
      const cat = first('sh', ['-c', 'printf "ax\\nb\\ncx\\n"'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const grep = second('sh', ['-c', 'read go <&3; exec grep x'], { stdio: [cat.stdout, 'pipe', 'inherit', 'pipe'] });
      const wc = third('sh', ['-c', 'read go <&3; exec wc -l'], { stdio: [grep.stdout, 'pipe', 'inherit', 'pipe'] });
      const [counted, catExited, grepExited, wcExited] = [text(wc.stdout), exitOf(cat), exitOf(grep), exitOf(wc)];
      await releaseAfter(catExited, grep);
      await releaseAfter(grepExited, wc);
      expect((await counted)?.trim()).toBe('2');
      await wcExited;
      cat.stdout?.destroy();
      grep.stdout?.destroy();
    }),
  );

  it("our own spawn() takes our children's streams and Node's: cat | grep | wc -l both ways", async () => {
    await expectNoLeaks(async () => {
      const cat = ourSpawn('sh', ['-c', 'printf "ax\\nb\\ncx\\n"'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const grep = node.spawn('grep', ['x'], { stdio: [cat.stdout as Readable, 'pipe', 'inherit'] });
      const grepExited = new Promise((resolve) => grep.on('exit', resolve));
      const wc = ourSpawn('wc', ['-l'], { stdio: [grep.stdout, 'pipe', 'inherit'] });
      expect((await text(wc.stdout))?.trim()).toBe('2');
      await Promise.all([cat.exited, wc.exited, grepExited]);
      cat.stdout?.destroy();
      grep.stdout.destroy();
    });
    await expectNoLeaks(async () => {
      const cat = ourSpawn('sh', ['-c', 'printf "ax\\nb\\ncx\\n"'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const grep = ourSpawn('grep', ['x'], { stdio: [cat.stdout, 'pipe', 'inherit'] });
      const wc = ourSpawn('wc', ['-l'], { stdio: [grep.stdout, 'pipe', 'inherit'] });
      expect((await text(wc.stdout))?.trim()).toBe('2');
      await Promise.all([cat.exited, grep.exited, wc.exited]);
      cat.stdout?.destroy();
      grep.stdout?.destroy();
    });
  });

  it('our own spawn() rejects an object without an fd with a TypeError naming the slot', () => {
    expect(() => ourSpawn('cat', [], { stdio: [{} as never, 'pipe', 'pipe'] })).toThrow(/stdio\[0\].*stream with an fd/);
  });

  it("our own spawn() takes cwd: '' as unset", async () => {
    await expectNoLeaks(async () => {
      const child = ourSpawn('pwd', [], { cwd: '' });
      expect((await text(child.stdout))?.trim()).toBe(process.cwd());
      await child.exited;
    });
  });
});

describe('4. options are own properties only: a polluted Object.prototype changes nothing', () => {
  // In a process of its own (test/fixtures/polluted-options.js): polluting this one would change
  // the test runner too. Every option of every entry point is polluted with a value that shows.
  async function report(api: string, mode: string): Promise<unknown> {
    const fixture = path.join(root, 'test/fixtures/polluted-options.js');
    const { stdout } = await promisify(execFile)(process.execPath, [fixture, api, mode], { cwd: root, timeout: 20_000 });
    return JSON.parse(stdout) as unknown;
  }

  it.each(['node', 'drop-in', 'ours'])('%s: the children see the same with and without the pollution', async (api) => {
    const [clean, polluted] = await Promise.all([report(api, 'clean'), report(api, 'polluted')]);
    // Node 20's spawnSync reads `input` through the prototype chain (its stdin gets the polluted
    // input); the drop-in's does not.
    if (api === 'node') for (const name of ['spawnSync', 'spawnSyncWithoutOptions']) delete (polluted as { sync: Record<string, unknown> }).sync[name];
    if (api === 'node') for (const name of ['spawnSync', 'spawnSyncWithoutOptions']) delete (clean as { sync: Record<string, unknown> }).sync[name];
    expect(polluted).toEqual(clean);
    expect(JSON.stringify(clean)).toContain(root);
  });

  it('the drop-in reports what Node reports, clean (and, from the test above, the same polluted)', async () => {
    expect(await report('drop-in', 'clean')).toEqual(await report('node', 'clean'));
  });
});

// Keeps the scratch directory referenced for future cases (cwd, files).
void scratch;
