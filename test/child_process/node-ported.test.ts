// Node v20's own test/parallel/test-child-process-*.js cases, ported to the conformance suite:
// each runs against node:child_process and against ours and must observe the same. The list of
// ported and not ported tests, with the reasons, is in docs/child_process.md.
import { getEventListeners } from 'node:events';
import { copyFileSync, linkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getSystemErrorName, isDeepStrictEqual, promisify } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { describe, it } from 'vitest';
import { callbackResult, conforms, describeError, node, observe, text, thrown, type Behaviour, type Callback, type ChildLike, type ChildProcessModule, type Promisified } from '../helpers/conformance';

const child = path.join(__dirname, '..', 'fixtures', 'node-ported-child.js');
const emfileFixture = path.join(__dirname, '..', 'fixtures', 'emfile.js');
const empty = path.join(__dirname, '..', 'fixtures', 'empty.js');
const oursBuilt = path.join(__dirname, '..', '..', 'dist', 'child_process', 'index.js');
type Fork = (modulePath: unknown, args?: unknown, options?: unknown) => ChildLike & {
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  disconnect(): void;
};

/** Events of a child with a channel, in order, until 'close'. */
function events(forked: ChildLike): Promise<unknown[]> {
  const seen: unknown[] = [];
  return new Promise((resolve) => {
    for (const name of ['message', 'internalMessage', 'disconnect', 'exit', 'error', 'close']) {
      forked.on(name, (...args: unknown[]) => {
        seen.push([name, ...args.map((arg) => (Buffer.isBuffer(arg) ? { bytes: arg.length } : describeError(arg)))]);
        if (name === 'close') resolve(seen);
      });
    }
  });
}

/**
 * For a child killed before or while its channel starts, where Node's 'disconnect' comes before
 * 'exit' or after 'close' depending on a race in its event loop; the other events are compared.
 */
function withoutDisconnect(runs: unknown[][]): unknown[][] {
  return runs.map((run) => run.filter((event) => (event as unknown[])[0] !== 'disconnect'));
}

type Spawn = (file: string, args: string[], options?: object) => ChildLike;
type ExecFile = (file: string, args: unknown[], options: object | null, callback: Callback<Error>) => ChildLike;
type Exec = (command: string, options: object, callback: Callback<Error>) => ChildLike;

function closeOf(child: ChildLike): Promise<unknown[]> {
  return new Promise((resolve) => child.on('close', (...args: unknown[]) => resolve(args)));
}

function exitOf(child: ChildLike): Promise<unknown[]> {
  return new Promise((resolve) => child.on('exit', (...args: unknown[]) => resolve(args)));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a process of ours passes to require() to load the module under test. */
function requirable(cp: ChildProcessModule): string {
  return cp === (node as unknown as ChildProcessModule) ? 'node:child_process' : oursBuilt;
}

/** Our environment without NODE_EXTRA_CA_CERTS, which slows every node start down. */
function quickNodeEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
  return env;
}

/**
 * test-child-process-stdio-reuse-readable-stdio.js: cat | head -n1; once head has exited, cat's
 * stdout is ours to read again. With `resume`, as the test reads it on Node 20 (there, 'data'
 * alone does not restart a stream that spawn() paused); without, what 'data' alone gives.
 */
async function reuseAfterHead(cp: ChildProcessModule, resume: boolean): Promise<unknown> {
  const spawn = cp.spawn as unknown as Spawn;
  const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const head = spawn('head', ['-n1'], { stdio: [cat.stdout, 'pipe', 'inherit'] });
  const catStdout = cat.stdout as Readable;
  cat.stdin?.write('hello\n');
  const [headSaid, headExit] = await Promise.all([text(head.stdout), exitOf(head)]);
  const [catExited, catClosed] = [exitOf(cat), closeOf(cat)];
  cat.stdin?.end('world\n');
  let catSaid = '';
  catStdout.setEncoding('utf8');
  catStdout.on('data', (chunk: string) => (catSaid += chunk));
  if (resume) catStdout.resume();
  const catExit = await catExited;
  if (resume) await catClosed;
  else await sleep(50);
  catStdout.destroy();
  if (!resume) await catClosed;
  return { headSaid, headExit, catSaid, catExit };
}

const behaviours: Behaviour[] = [
  {
    name: 'test-child-process-advanced-serialization-splitted-length-field.js',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['split-length'], { serialization: 'advanced' })),
  },
  {
    name: 'test-child-process-ipc-next-tick.js',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['ipc-next-tick']);
      forked.once('message', () => {
        for (let i = 0; i < 10; i++) forked.send(i);
      });
      return events(forked);
    },
  },
  {
    name: 'test-child-process-send-cb.js',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['send-cb'])),
  },
  {
    name: 'test-child-process-internal.js',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['internal'])),
  },
  {
    name: 'test-child-process-send-utf8.js',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['echo']);
      const message = { foo: 'bar', text: 'ßæøå'.repeat(64 * 1024) };
      forked.send(message);
      const seen = await events(forked);
      return seen.map((event) => JSON.stringify(event) === JSON.stringify(['message', message]) ? 'echoed intact' : event);
    },
  },
  {
    name: 'test-child-process-send-after-close.js',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['empty']);
      const seen = await events(forked);
      const errors: unknown[] = [];
      forked.on('error', (error) => errors.push(describeError(error)));
      const results = [forked.send('ping'), forked.send('pong', (error) => errors.push(['callback', describeError(error)]))];
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { seen, results, errors };
    },
  },
  {
    name: 'test-child-process-send-returns-boolean.js (without its handle part)',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['empty']);
      const sent = forked.send({ hello: 'world' });
      return { sent, events: await events(forked) };
    },
  },
  {
    name: 'test-child-process-send-type-error.js',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['empty']);
      const send = forked.send as unknown as (...args: unknown[]) => boolean;
      const errors = [null, '', 'foo', 0, NaN, 1].map((options) => thrown(() => send.call(forked, 'msg', null, options)));
      return { errors, events: await events(forked) };
    },
  },
  {
    name: 'test-child-process-fork-args.js',
    run: async (cp) => {
      const fork = cp.fork as unknown as Fork;
      const bad = [0, true, undefined, null, [], {}, () => {}, Symbol('t')].map((modulePath) => thrown(() => fork(modulePath)));
      const badArgs = [0, true, () => {}, Symbol('t')].map((args) => thrown(() => fork(child, args)));
      const badOptions = [0, true, () => {}, Symbol('t')].map((options) => thrown(() => fork(child, [], options)));
      const exits = await Promise.all(
        [undefined, null, []].map((args) => events(fork(child, args === undefined ? ['empty'] : ['empty'], { env: { ...process.env, foo: 'bar' } }))),
      );
      return { bad, badArgs, badOptions, exits };
    },
  },
  {
    name: 'test-child-process-fork-abort-signal.js',
    run: async (cp) => {
      const fork = cp.fork as unknown as Fork;
      const abortAfter = new AbortController();
      const afterFork = events(fork(child, ['stay-alive'], { signal: abortAfter.signal }));
      process.nextTick(() => abortAfter.abort());
      const already = events(fork(child, ['stay-alive'], { signal: AbortSignal.abort() }));
      const withKill = events(fork(child, ['stay-alive'], { signal: AbortSignal.abort(), killSignal: 'SIGKILL' }));
      const late = new AbortController();
      const killed = fork(child, ['stay-alive'], { signal: late.signal });
      killed.on('exit', () => late.abort());
      setTimeout(() => killed.kill(), 1);
      return withoutDisconnect(await Promise.all([afterFork, already, withKill, events(killed)]));
    },
  },
  {
    name: 'test-child-process-fork-timeout-kill-signal.js',
    run: async (cp) => {
      const fork = cp.fork as unknown as Fork;
      return withoutDisconnect(
        await Promise.all([
          events(fork(child, ['stay-alive'], { timeout: 20 })),
          events(fork(child, ['stay-alive'], { timeout: 20, killSignal: 'SIGKILL' })),
        ]),
      );
    },
  },
  {
    name: 'test-child-process-stdio-reuse-readable-stdio.js (resumed explicitly, as it runs on Node 20)',
    run: (cp) => reuseAfterHead(cp, true),
  },
  {
    name: "test-child-process-stdio-reuse-readable-stdio.js ('data' alone)",
    run: (cp) => reuseAfterHead(cp, false),
  },
  {
    name: 'test-child-process-double-pipe.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const grep = spawn('grep', ['o'], {});
      const sed = spawn('sed', ['s/o/O/'], {});
      const echo = spawn('echo', ['hello\nnode\nand\nworld\n'], {});
      const [echoOut, grepIn, grepOut, sedIn] = [echo.stdout, grep.stdin, grep.stdout, sed.stdin] as [Readable, Writable, Readable, Writable];
      echoOut.on('data', (data: Buffer) => {
        if (!grepIn.write(data)) echoOut.pause();
      });
      grepIn.on('drain', () => echoOut.resume());
      echoOut.on('end', () => grepIn.end());
      grepOut.on('data', (data: Buffer) => {
        if (!sedIn.write(data)) grepOut.pause();
      });
      sedIn.on('drain', () => grepOut.resume());
      grepOut.on('end', () => sedIn.end());
      const [result, ...closes] = await Promise.all([text(sed.stdout), closeOf(echo), closeOf(grep), closeOf(sed)]);
      return { result, closes };
    },
  },
  {
    name: 'test-child-process-flush-stdio.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const first = spawn('echo', [], {});
      first.stdout?.read();
      const firstClose = await closeOf(first);
      const second = spawn('echo', ['123'], {});
      const chunks: Buffer[] = [];
      second.stdout?.on('readable', function (this: Readable) {
        setImmediate(() => {
          let chunk: Buffer | null;
          while ((chunk = this.read() as Buffer | null) !== null) chunks.push(chunk);
        });
      });
      const secondClose = await closeOf(second);
      return { firstClose, secondClose, read: Buffer.concat(chunks).toString().trim() };
    },
  },
  {
    name: 'test-child-process-kill.js',
    run: async (cp) => {
      const cat = (cp.spawn as unknown as Spawn)('cat', [], {});
      const ends: string[] = [];
      cat.stdout?.on('end', () => ends.push('stdout end'));
      cat.stderr?.on('end', () => ends.push('stderr end'));
      cat.stderr?.on('data', () => ends.push('stderr data'));
      const before = cat.killed;
      const sent = cat.kill();
      const closed = observe(cat);
      return { before, sent, after: cat.killed, observed: await closed, ends: ends.sort() };
    },
  },
  {
    name: "test-child-process-stdin-ipc.js ('ipc' on fd 0: a socketpair there, stdin of the Node child)",
    run: async (cp) => {
      const spawned = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'stdin-ipc'], { stdio: ['ipc', 'inherit', 'inherit'] });
      const messages: unknown[] = [];
      spawned.on('message', (message: unknown) => messages.push(message));
      return { stdin: spawned.stdin, observed: await observe(spawned), messages };
    },
  },
  {
    name: "test-child-process-stdout-ipc.js ('ipc' on fd 1: the Node child's process.send() goes out on its stdout)",
    run: async (cp) => {
      const spawned = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'stdout-ipc'], { stdio: ['inherit', 'ipc', 'inherit'] });
      const messages: unknown[] = [];
      spawned.on('message', (message: unknown) => messages.push(message));
      return { stdout: spawned.stdout, observed: await observe(spawned), messages };
    },
  },
  {
    name: 'test-child-process-stdout-flush-exit.js',
    run: async (cp) => {
      const spawned = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'flush-exit'], {});
      const { stdout, stderr, events: seen } = await observe(spawned);
      const lines = stdout?.split('\n') ?? [];
      return { first: lines[0], last: lines.at(-2), count: lines.length, stderr, seen };
    },
  },
  {
    name: 'test-child-process-silent.js (its IPC half: messages flow with silent: true, output stays in the pipes)',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['silent-ipc'], { silent: true });
      const messages: unknown[] = [];
      forked.on('message', (message) => messages.push(message));
      forked.send('message to child');
      const observed = await observe(forked);
      return { messages, observed };
    },
  },
  {
    name: "test-child-process-silent.js (its pipe half: a silent grandchild's output never reaches the primary's stdout or stderr)",
    run: async (cp) => {
      const { events: seen, stdout, stderr } = await observe((cp.spawn as unknown as Spawn)(process.execPath, [child, 'silent-primary', requirable(cp)], {}));
      return { seen, stdout, stderr };
    },
  },
  {
    name: 'test-child-process-execfile.js',
    run: async (cp) => {
      const execFile = cp.execFile as unknown as ExecFile;
      const exitWith = (code: number, options: object | null = null): Promise<unknown> =>
        callbackResult((callback) => execFile(process.execPath, [child, 'exit', code], options, callback));
      const failed = await exitWith(42);
      // A negative code in 'close' is a libuv error, named as such (the child is killed first).
      const negative = await new Promise((resolve) => {
        const started = execFile(process.execPath, [], null, (error, stdout, stderr) =>
          resolve({ text: String(error), error: describeError(error), stdout, stderr }),
        );
        started.kill();
        started.emit('close', -1, null);
      });
      const withShell = await exitWith(0, { encoding: 'utf8', shell: true });
      const controller = new AbortController();
      const aborted = callbackResult((callback) => execFile(process.execPath, [child, 'stay-alive'], { signal: controller.signal }, callback));
      controller.abort();
      const alreadyAborted = await callbackResult((callback) => execFile(process.execPath, [child, 'empty'], { signal: AbortSignal.abort() }, callback));
      const badSignal = thrown(() => execFile(process.execPath, [child, 'empty'], { signal: 'hello' }, () => undefined));
      const finished = new AbortController();
      const listenersAfter = await new Promise((resolve) =>
        execFile(process.execPath, [child, 'exit', 0], { signal: finished.signal }, (error) =>
          resolve({ error, listeners: getEventListeners(finished.signal, 'abort').length }),
        ),
      );
      const sameAsSync = await Promise.all(
        [null, { shell: true }].map((options) =>
          callbackResult((callback) => execFile('echo', ['foo', 'bar'], options, callback)),
        ),
      );
      return { failed, negative, withShell, aborted: await aborted, alreadyAborted, badSignal, listenersAfter, sameAsSync };
    },
  },
  {
    name: 'test-child-process-exec-timeout-expire.js (with sleep as the slow child)',
    // `exec` here and below: the timeout's signal reaches sleep itself, not a shell that would leave it orphaned.
    run: (cp) => callbackResult((callback) => (cp.exec as unknown as Exec)('exec sleep 5', { timeout: 50 }, callback)),
  },
  {
    name: 'test-child-process-exec-timeout-not-expired.js (with sleep as the quick child)',
    run: (cp) => callbackResult((callback) => (cp.exec as unknown as Exec)('sleep 0.05; echo done', { timeout: 5000 }, callback)),
  },
  {
    name: 'test-child-process-emfile.js (under prlimit --nofile=64, in a process of its own)',
    run: async (cp) => {
      const limited = node.spawn('prlimit', ['--nofile=64', process.execPath, emfileFixture, requirable(cp)], { env: quickNodeEnv() });
      const { stdout, stderr, events: seen } = await observe(limited as unknown as ChildLike);
      return { seen: JSON.parse(stdout ?? 'null') as unknown, stderr, events: seen };
    },
  },
  {
    name: 'test-child-process-detached.js (the child leads a new session and group, and outlives its parent)',
    run: async (cp) => {
      // $1 pid, $5 process group, $6 session, from the shell's own /proc/<pid>/stat.
      const report = 'set -- $(cat /proc/$$/stat); [ "$1" = "$5" ] && echo group-leader; [ "$1" = "$6" ] && echo session-leader; true';
      const detached = await observe((cp.spawn as unknown as Spawn)('sh', ['-c', report], { detached: true }));
      const attached = await observe((cp.spawn as unknown as Spawn)('sh', ['-c', report], {}));
      return { detached: detached.stdout, attached: attached.stdout };
    },
  },
  {
    name: 'test-child-process-exec-env.js',
    run: async (cp) => {
      let response = '';
      const result = callbackResult((callback) => {
        const started = (cp.exec as unknown as Exec)('/usr/bin/env', { env: { HELLO: 'WORLD' } }, callback);
        started.stdout?.setEncoding('utf8');
        started.stdout?.on('data', (chunk: string) => (response += chunk));
        return started;
      });
      return { result: await result, response };
    },
  },
  {
    name: 'test-child-process-exec-encoding.js',
    run: (cp) =>
      Promise.all(
        [{}, { encoding: 'utf8' }, { encoding: undefined }, { encoding: null }, { encoding: 'buffer' }, { encoding: 'invalid' }].map((options) =>
          callbackResult((callback) => (cp.exec as unknown as Exec)(`"${process.execPath}" "${child}" foo-bar`, options, callback)),
        ),
      ),
  },
  {
    name: 'test-child-process-exec-std-encoding.js',
    run: (cp) =>
      callbackResult((callback) => {
        const started = (cp.exec as unknown as Exec)(`"${process.execPath}" "${child}" foo-bar`, {}, callback);
        (started.stdout as Readable & { encoding?: string }).encoding = 'utf-8';
        return started;
      }),
  },
  {
    name: 'test-child-process-exec-error.js',
    run: async (cp) => ({
      exec: await callbackResult((callback) => (cp.exec as unknown as Exec)('does-not-exist', {}, callback)),
      execFile: await callbackResult((callback) => (cp.execFile as unknown as ExecFile)('does-not-exist', [], {}, callback)),
    }),
  },
  {
    name: 'test-child-process-exec-stdout-stderr-data-string.js',
    run: async (cp) => {
      const exec = cp.exec as unknown as (command: string) => ChildLike;
      const chunks = { stdout: [] as string[], stderr: [] as string[] };
      const listed = exec('ls /');
      listed.stdout?.on('data', (data: unknown) => chunks.stdout.push(typeof data));
      const missing = exec('fhqwhgads');
      missing.stderr?.on('data', (data: unknown) => chunks.stderr.push(typeof data));
      await Promise.all([closeOf(listed), closeOf(missing)]);
      // What Node's test asserts: some data on each, as strings (how many chunks is the kernel's affair).
      const strings = (types: string[]): boolean => types.length > 0 && types.every((type) => type === 'string');
      return { stdout: strings(chunks.stdout), stderr: strings(chunks.stderr) };
    },
  },
  {
    name: 'test-child-process-exec-kill-throws.js (ChildProcess.prototype.kill patched through the module, not internals)',
    run: async (cp) => {
      const { prototype } = (cp as unknown as { ChildProcess: { prototype: { kill(...args: unknown[]): boolean } } }).ChildProcess;
      const kill = prototype.kill;
      prototype.kill = function (this: unknown, ...args: unknown[]): boolean {
        kill.apply(this, args);
        throw new Error('mock error');
      };
      try {
        let started: ChildLike | undefined;
        const result = await callbackResult((callback) => {
          started = (cp.exec as unknown as Exec)(`"${process.execPath}" "${child}" foo-bar`, { maxBuffer: 0, killSignal: 'SIGKILL' }, callback);
          return started;
        });
        return { result, killed: started?.killed };
      } finally {
        prototype.kill = kill;
      }
    },
  },
  {
    name: 'test-child-process-spawn-shell.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as (command: string, options: object) => ChildLike;
      const missing = spawn('does-not-exist', { shell: true });
      const piped = spawn('echo bar | cat', { encoding: 'utf8', shell: true });
      const env = spawn('"$NODE" -pe process.env.BAZ', { env: { ...process.env, BAZ: 'buzz', NODE: process.execPath }, encoding: 'utf8', shell: true });
      const spawnfiles = [missing.spawnfile, missing.spawnargs];
      const [missingSeen, pipedSeen, envSeen] = await Promise.all([observe(missing), observe(piped), observe(env)]);
      return { spawnfiles, missing: missingSeen.events, piped: pipedSeen.stdout, env: envSeen.stdout };
    },
  },
  {
    name: 'test-child-process-execfile-maxbuf.js',
    run: async (cp) => {
      const execFile = cp.execFile as unknown as ExecFile;
      const run = (args: unknown[], options: object | null, file = process.execPath, encoding?: 'stdout' | 'stderr'): Promise<unknown> =>
        callbackResult((callback) => {
          const started = execFile(file, args, options, callback);
          if (encoding !== undefined) started[encoding]?.setEncoding('utf-8');
          return started;
        });
      const unicode = '中文测试';
      const results = await Promise.all([
        run(['-e', 'console.log("a".repeat(1024 * 1024))'], null),
        run(['-e', 'console.log("a".repeat(1024 * 1024 - 1))'], null),
        run(['-e', 'console.log("hello world");'], { maxBuffer: Infinity }),
        run(['hello world'], { maxBuffer: 5 }, 'echo'),
        run(['-e', `console.log('${unicode}');`], { maxBuffer: 10 }),
        run(['-e', `console.error('${unicode}');`], { maxBuffer: 10 }),
        run(['-e', `console.log('${unicode}');`], { encoding: null, maxBuffer: 10 }, process.execPath, 'stdout'),
        run(['-e', `console.error('${unicode}');`], { encoding: null, maxBuffer: 10 }, process.execPath, 'stderr'),
      ]);
      // The 1 MiB outputs as their length: a diff of them would be unreadable.
      return results.map((result) => {
        const { stdout, ...rest } = result as { stdout: unknown };
        return { ...rest, stdout: typeof stdout === 'string' && stdout.length > 64 ? { length: stdout.length } : stdout };
      });
    },
  },
  {
    name: 'test-child-process-stdio-big-write-end.js',
    run: async (cp) => {
      const started = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'count-stdin'], {});
      const stdin = started.stdin as Writable;
      let sent = 0;
      let size = 0;
      let buffer: Buffer;
      do {
        size += 1024;
        buffer = Buffer.alloc(size, '.');
        sent += size;
      } while (stdin.write(buffer));
      for (let i = 0; i < 100; i++) {
        sent += size;
        stdin.write(Buffer.alloc(size, '.'));
      }
      stdin.end();
      const observed = await observe(started);
      return { countedAll: Number(observed.stdout) === sent, events: observed.events };
    },
  },
  {
    name: 'test-child-process-env.js',
    run: async (cp) => {
      const env = { ...process.env, HELLO: 'WORLD', UNDEFINED: undefined, NULL: null, EMPTY: '' };
      Object.setPrototypeOf(env, { FOO: 'BAR' });
      const { stdout } = await observe((cp.spawn as unknown as Spawn)('/usr/bin/env', [], { env }));
      const lines = (stdout ?? '').split('\n');
      return ['HELLO=WORLD', 'FOO=BAR', 'UNDEFINED=undefined', 'NULL=null', 'EMPTY='].map((line) => [line, lines.includes(line)]);
    },
  },
  {
    name: 'test-child-process-exec-abortcontroller-promisified.js',
    run: async (cp) => {
      const exec = promisify(cp.exec as unknown as (command: string, options: object, callback: Callback<Error>) => void) as unknown as (
        command: string,
        options: object,
      ) => Promise<unknown>;
      const settled = (promise: Promise<unknown>): Promise<unknown> =>
        promise.then(
          () => 'resolved',
          (error: unknown) => describeError(error),
        );
      const controller = new AbortController();
      // `exec` so that the abort's SIGTERM ends the sleep itself: Node's test leaves the shell's
      // sleep running as an orphan for two minutes.
      const abortedLater = settled(exec('exec sleep 120', { signal: controller.signal }));
      controller.abort();
      const abortedBefore = settled(exec('exec sleep 120', { signal: AbortSignal.abort() }));
      return {
        abortedLater: await abortedLater,
        abortedBefore: await abortedBefore,
        plainObject: thrown(() => exec('exec sleep 120', { signal: {} })),
        aFunction: thrown(() => exec('exec sleep 120', { signal: () => undefined })),
      };
    },
  },
  {
    name: 'test-child-process-exec-cwd.js',
    run: (cp) => callbackResult((callback) => (cp.exec as unknown as Exec)('pwd', { cwd: '/dev' }, callback)),
  },
  {
    name: 'test-child-process-default-options.js (process.env changed at run time reaches the child)',
    run: async (cp) => {
      process.env['HELLO_FROM_PORTED_TEST'] = 'WORLD';
      try {
        const { stdout } = await observe((cp.spawn as unknown as Spawn)('/usr/bin/env', [], {}));
        return (stdout ?? '').split('\n').includes('HELLO_FROM_PORTED_TEST=WORLD');
      } finally {
        delete process.env['HELLO_FROM_PORTED_TEST'];
      }
    },
  },
  {
    name: 'test-child-process-exec-timeout-kill.js (with sleep as the slow child)',
    run: async (cp) => {
      let started: ChildLike | undefined;
      const result = await callbackResult((callback) => {
        started = (cp.exec as unknown as Exec)('exec sleep 5', { timeout: 50, killSignal: 'SIGKILL' }, callback);
        return started;
      });
      return { result, timedOut: (started as { timedOut?: unknown } | undefined)?.timedOut };
    },
  },
  {
    name: "test-child-process-stdio-inherit.js (cat with stdio 'inherit' in a child of ours)",
    run: async (cp) => {
      const moduleName = requirable(cp);
      const parent = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'cat-inherit', moduleName], {});
      parent.stdin?.end('asdfasdf');
      const { events: seen, stdout, stderr } = await observe(parent);
      return { seen, stdout, stderr };
    },
  },
  {
    name: 'test-child-process-uid-gid.js (as uid 65534 through setpriv, since Node skips it as root)',
    run: async (cp) => {
      const moduleName = requirable(cp);
      const env = quickNodeEnv();
      // CAP_DAC_READ_SEARCH keeps the right to read a checkout in a 0700 directory; it gives no uid.
      const unprivileged = ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps', '+dac_read_search', '--ambient-caps', '+dac_read_search'];
      const fixture = [process.execPath, child, 'uid-gid', moduleName];
      // Not root: already the case Node's test is written for.
      const [file, ...args] = process.getuid?.() === 0 ? ['setpriv', ...unprivileged, ...fixture] : fixture;
      const started = node.spawn(file as string, args, { env });
      const { stdout, stderr } = await observe(started as unknown as ChildLike);
      return { thrown: JSON.parse(stdout ?? 'null') as unknown, stderr };
    },
  },
  {
    name: 'test-child-process-stdout-flush.js',
    run: async (cp) => {
      const printer = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'print-chars', '500000'], {});
      const { stdout, stderr, events: seen } = await observe(printer);
      return { count: stdout?.length, stderr, seen };
    },
  },
  {
    name: 'test-child-process-execFile-promisified-abortController.js',
    run: async (cp) => {
      const execFile = promisify(cp.execFile as unknown as (file: string, args: unknown[], options: object, callback: Callback<Error>) => void) as unknown as (
        file: string,
        args: unknown[],
        options: object,
      ) => Promise<unknown>;
      const settled = (start: () => Promise<unknown>): Promise<unknown> => {
        try {
          return start().then(
            () => 'resolved',
            (error: unknown) => ({ rejected: describeError(error) }),
          );
        } catch (error) {
          return Promise.resolve({ threw: describeError(error) });
        }
      };
      const controller = new AbortController();
      const abortedLater = settled(() => execFile(process.execPath, [child, 'stay-alive'], { signal: controller.signal }));
      controller.abort();
      return Promise.all([
        abortedLater,
        settled(() => execFile(process.execPath, [child, 'empty'], { signal: AbortSignal.abort() })),
        settled(() => execFile(process.execPath, [child, 'empty'], { signal: {} })),
        settled(() => execFile(process.execPath, [child, 'empty'], { signal: 'world!' })),
      ]);
    },
  },
  {
    name: 'test-child-process-stdio-merge-stdouts-into-cat.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const p3 = spawn('cat', [], { stdio: ['pipe', 'pipe', process.stderr] });
      const p1 = spawn('cat', [], { stdio: ['pipe', p3.stdin, process.stderr] });
      const p2 = spawn('cat', [], { stdio: ['pipe', p3.stdin, process.stderr] });
      const out = p3.stdout as Readable;
      out.setEncoding('utf8');
      const next = (): Promise<unknown> => new Promise((resolve) => out.once('data', resolve));
      const closed = Promise.all([p1, p2, p3].map(closeOf));
      p1.stdin?.end('hello\n');
      const first = await next();
      p2.stdin?.end('world\n');
      const second = await next();
      p3.stdin?.end('foobar\n');
      const third = await next();
      return { chunks: [first, second, third], closes: await closed };
    },
  },
  {
    name: 'test-child-process-pipe-dataflow.js (1 MiB through cat | grep | wc -c; we never start reading the middle streams)',
    run: async (cp) => {
      const directory = mkdtempSync(path.join(tmpdir(), 'child-process-dataflow-'));
      try {
        const file = path.join(directory, 'data.txt');
        const data = Buffer.alloc(1024 * 1024).fill('x');
        for (let i = 0; i < 1024; i++) data[i * 1024] = 10;
        writeFileSync(file, data.toString());
        const spawn = cp.spawn as unknown as Spawn;
        const cat = spawn('cat', [file], {});
        const grep = spawn('grep', ['x'], { stdio: [cat.stdout, 'pipe', 'pipe'] });
        const wc = spawn('wc', ['-c'], { stdio: [grep.stdout, 'pipe', 'pipe'] });
        // As the test: neither module may start reading the streams it gave to the next stage.
        let readStarts = 0;
        for (const stream of [cat.stdout, grep.stdout] as unknown as { _handle: { readStart(): number } }[]) {
          stream._handle.readStart = () => {
            readStarts++;
            return 0;
          };
        }
        const stderrs = [cat, grep, wc].map((stage) => text(stage.stderr));
        const [count, ...exits] = await Promise.all([text(wc.stdout), ...[cat, grep, wc].map(exitOf)]);
        cat.stdout?.destroy();
        grep.stdout?.destroy();
        return { count: count?.trim(), readStarts, exits, stderr: await Promise.all(stderrs) };
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'test-child-process-spawn-argv0.js',
    run: async (cp) => {
      const { spawnSync } = cp as unknown as { spawnSync: typeof node.spawnSync };
      return {
        none: String(spawnSync(process.execPath, [child, 'argv0']).stdout).trim() === process.execPath,
        given: String(spawnSync(process.execPath, [child, 'argv0'], { argv0: 'withArgv0' }).stdout).trim(),
        notAString: thrown(() => spawnSync(process.execPath, [child, 'argv0'], { argv0: [] as unknown as string })),
      };
    },
  },
  {
    name: 'test-child-process-spawn-controller.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const withSignal = (options: object): ChildLike => spawn(process.execPath, [child, 'stay-alive'], options);
      const errorsAndExit = (started: ChildLike): Promise<unknown[]> =>
        new Promise((resolve) => {
          const seen: unknown[] = [];
          started.on('error', (error: Error) => seen.push(['error', error.name]));
          started.on('exit', (...args: unknown[]) => seen.push(['exit', ...args]));
          started.on('close', () => resolve(seen));
        });
      const now = new AbortController();
      const abortedNow = errorsAndExit(withSignal({ signal: now.signal }));
      now.abort();
      const already = errorsAndExit(withSignal({ signal: AbortSignal.abort() }));
      const later = new AbortController();
      const abortedLater = errorsAndExit(withSignal({ signal: later.signal }));
      setTimeout(() => later.abort(), 1);
      const killing = new AbortController();
      const withKill = errorsAndExit(withSignal({ signal: killing.signal, killSignal: 'SIGKILL' }));
      setTimeout(() => killing.abort(), 1);
      const afterExit = new AbortController();
      const killed = withSignal({ signal: afterExit.signal });
      killed.on('exit', () => afterExit.abort());
      const abortedAfterExit = errorsAndExit(killed);
      setTimeout(() => killed.kill(), 1);
      return Promise.all([abortedNow, already, abortedLater, withKill, abortedAfterExit]);
    },
  },
  {
    name: 'test-child-process-spawn-timeout-kill-signal.js (without timedOut, which Node 20 does not have)',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const alive = [child, 'stay-alive'];
      const controller = new AbortController();
      const withSignal = spawn(process.execPath, alive, { timeout: 6, signal: controller.signal });
      const listenersBefore = getEventListeners(controller.signal, 'abort').length;
      const exits = await Promise.all([
        exitOf(spawn(process.execPath, alive, { timeout: 5 })),
        exitOf(spawn(process.execPath, alive, { timeout: 6, killSignal: 'SIGKILL' })),
        exitOf(withSignal),
      ]);
      return {
        exits,
        listenersBefore,
        listenersAfter: getEventListeners(controller.signal, 'abort').length,
        badTimeout: thrown(() => spawn(process.execPath, alive, { timeout: 'badValue' })),
        objectTimeout: thrown(() => spawn(process.execPath, alive, { timeout: {} })),
      };
    },
  },
  {
    name: 'test-child-process-fork-stdio.js',
    run: async (cp) => {
      const fork = cp.fork as unknown as Fork;
      const noIpc = thrown(() => fork(child, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }));
      const message = 'data to send via pipe';
      const forked = fork(child, ['fork-stdio'], { stdio: [0, 'ignore', 'pipe', 'ipc', 'pipe'] });
      let received = '';
      forked.on('message', (part: unknown) => {
        received += String(part);
        if (received === message) (forked as unknown as { disconnect(): void }).disconnect();
      });
      const stdoutIsNull = forked.stdout === null;
      const extra = forked.stdio[4] as Writable;
      extra.write(Buffer.from(message));
      // Up to 'exit' only: after the parent's own disconnect() Node 20 never emits 'close' (see
      // the table in docs/child_process.md), so the test, like Node's, ends at the exit.
      const seen: unknown[] = [];
      for (const name of ['disconnect', 'error']) forked.on(name, (...args: unknown[]) => seen.push([name, ...args]));
      const [stderr, exit] = await Promise.all([text(forked.stderr), exitOf(forked)]);
      extra.destroy();
      return { noIpc, stdoutIsNull, received, stderr, seen, exit };
    },
  },
  {
    name: 'test-child-process-stdin.js',
    run: async (cp) => {
      const cat = (cp.spawn as unknown as Spawn)('cat', [], {});
      const stdin = cat.stdin as Writable & { readable?: boolean };
      stdin.write('hello');
      stdin.write(' ');
      stdin.write('world');
      const sides = { writable: stdin.writable, readable: stdin.readable };
      stdin.end();
      return { sides, observed: await observe(cat) };
    },
  },
  {
    name: 'test-child-process-fork-stdio-string-variant.js',
    run: async (cp) => {
      const fork = cp.fork as unknown as Fork;
      const malformed = thrown(() => fork(child, { stdio: '33' }));
      const runs = await Promise.all(
        ['pipe', 'inherit', 'ignore'].map((stdio) => {
          const forked = fork(child, ['spawn-node'], { stdio });
          const messages: unknown[] = [];
          forked.on('message', (message) => messages.push(message));
          forked.send({ hello: 'world' });
          return exitOf(forked).then((exit) => {
            forked.stdout?.destroy();
            forked.stderr?.destroy();
            return { stdio, messages, exit };
          });
        }),
      );
      return { malformed, runs };
    },
  },
  {
    name: 'test-child-process-stdio.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const piped = spawn('pwd', [], { stdio: ['pipe'] });
      const ignored = spawn('pwd', [], { stdio: 'ignore' });
      const shapes = { piped: [piped.stdout !== null, piped.stderr !== null], ignored: [ignored.stdout, ignored.stderr] };
      const options = { stdio: 'ignore' };
      (cp as unknown as { spawnSync: typeof node.spawnSync }).spawnSync('cat', [], options as node.SpawnSyncOptions);
      await Promise.all([observe(piped), observe(ignored)]);
      return { shapes, optionsUntouched: options };
    },
  },
  {
    name: 'test-child-process-spawn-args.js (undefined, null and [] as args keep the options)',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as (file: string, args: unknown, options: object) => ChildLike;
      const outputs = await Promise.all([undefined, null, []].map(async (args) => (await observe(spawn('pwd', args, { cwd: '/tmp' }))).stdout));
      return [...new Set(outputs)];
    },
  },
  {
    name: 'test-child-process-fork-close.js',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['message-and-exit'])),
  },
  {
    name: 'test-child-process-fork-no-shell.js',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['no-shell', '$foo'], { shell: true, env: { ...process.env, foo: 'bar' } })),
  },
  {
    name: 'test-child-process-fork-url.mjs (a file: URL as modulePath)',
    run: (cp) => events((cp.fork as unknown as Fork)(pathToFileURL(child), ['disconnect'])),
  },
  {
    name: 'test-child-process-can-write-to-stdout.js',
    run: (cp) => observe((cp.spawn as unknown as Spawn)(process.execPath, ['-e', "process.stdout.write('hello, world!\\n')"], {})),
  },
  {
    name: 'test-child-process-fork-ref2.js',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['disconnect-then-listen'])),
  },
  {
    name: 'test-child-process-no-deprecation.js',
    run: (cp) =>
      observe(
        (cp.spawn as unknown as Spawn)(
          process.execPath,
          ['-e', "process.noDeprecation = true; process.emitWarning('Something else is deprecated.', 'DeprecationWarning')"],
          {},
        ),
      ),
  },
  {
    // Its spawnSync half is left out: Node 20.20's spawnSync aborts the whole process on an
    // 'overlapped' slot (a failed check in SyncProcessRunner::ParseStdioOptions).
    name: "test-child-process-stdio-overlapped.js (its spawn half, with cat in place of Node's overlapped-checker)",
    run: async (cp) => {
      const cat = (cp.spawn as unknown as Spawn)('cat', [], { stdio: ['overlapped', 'pipe', 'pipe'] });
      cat.stdin?.end('50');
      return observe(cat);
    },
  },
  {
    name: 'test-child-process-fork-detached.js (the detached grandchild outlives the parent that forked it)',
    run: async (cp) => {
      const moduleName = requirable(cp);
      const parent = (cp.fork as unknown as Fork)(child, ['nonpersistent-fork', moduleName], { silent: true });
      const pid = Number((await new Promise((resolve) => parent.stdout?.once('data', resolve))) as Buffer);
      parent.kill();
      await exitOf(parent);
      const alive = (): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const outlived = alive();
      process.kill(pid, 'SIGKILL');
      while (alive()) await sleep(10);
      parent.stdout?.destroy();
      parent.stderr?.destroy();
      return { outlived };
    },
  },
  {
    name: 'test-child-process-destroy.js (child[Symbol.dispose]() kills it)',
    run: async (cp) => {
      const cat = (cp.spawn as unknown as Spawn)('cat', [], {});
      const ends: string[] = [];
      const exits: unknown[] = [];
      cat.stdout?.on('end', () => ends.push('stdout end'));
      cat.stderr?.on('data', () => ends.push('stderr data'));
      cat.stderr?.on('end', () => ends.push('stderr end'));
      for (const listener of ['first', 'second']) {
        cat.on('exit', (code: unknown, signal: unknown) => exits.push([listener, code, signal, cat.signalCode, [...ends].sort()]));
      }
      const before = { signalCode: cat.signalCode, killed: cat.killed };
      (cat as unknown as Disposable)[Symbol.dispose]();
      const after = { killed: cat.killed };
      await closeOf(cat);
      // The pipes' EOF comes before the exit (the kernel closes a process's fds first), so both
      // ends are in by 'exit'; which of the two comes first is not fixed.
      return { before, after, ends: ends.sort(), exits };
    },
  },
  {
    name: 'test-child-process-ipc.js (a greeting, then what the parent writes, echoed through stdin and stdout)',
    run: async (cp) => {
      const echo = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'stdin-echo'], {});
      const seen: unknown[] = [];
      echo.stderr?.on('data', (data: Buffer) => seen.push(['stderr', String(data)]));
      const stdout = echo.stdout as Readable;
      stdout.setEncoding('utf8');
      const messages = ['hello world\r\n', 'echo me\r\n'];
      stdout.on('data', (data: string) => {
        seen.push(['data', data, data === messages.shift()]);
        if (messages.length > 0) echo.stdin?.write(messages[0]);
        else echo.stdin?.end();
      });
      stdout.on('end', () => seen.push('stdout end'));
      const [exit, close] = await Promise.all([exitOf(echo), closeOf(echo)]);
      return { seen, exit, close };
    },
  },
  {
    name: 'test-child-process-fork3.js (fork() of an empty module ends)',
    run: (cp) => events((cp.fork as unknown as Fork)(empty)),
  },
  {
    name: 'test-child-process-fork-and-spawn.js (a forked child spawns, through the module under test)',
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['fork-then-spawn', requirable(cp)])),
  },
  {
    name: 'test-child-process-fork.js',
    run: async (cp) => {
      const args = ['spawn-node-fixture', 'foo', 'bar'];
      const forked = (cp.fork as unknown as Fork)(child, args) as ChildLike & { channel?: unknown; _channel?: unknown; send(...args: unknown[]): boolean };
      const seen = events(forked);
      const checks = {
        channelAlias: forked._channel === forked.channel && forked.channel !== undefined,
        argsUntouched: args.join() === 'spawn-node-fixture,foo,bar',
        sendUndefined: thrown(() => forked.send(undefined)),
        sendNothing: thrown(() => forked.send()),
        sendSymbol: thrown(() => forked.send(Symbol())),
      };
      forked.send({ hello: 'world' });
      return { checks, events: await seen };
    },
  },
  {
    name: 'test-child-process-fork-ref.js (the child stays until the parent disconnects)',
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['fork-ref'], { silent: true });
      const ipc: unknown[] = [];
      let stdout = '';
      forked.on('message', (message: unknown) => {
        ipc.push(message);
        if (message === '2') forked.disconnect();
      });
      forked.stdout?.on('data', (chunk: Buffer) => (stdout += String(chunk)));
      // As Node's test: what has arrived by 'exit'.
      const atExit = await new Promise((resolve) => forked.once('exit', (...args: unknown[]) => resolve({ args, ipc: [...ipc], stdout })));
      forked.stdout?.destroy();
      forked.stderr?.destroy();
      return atExit;
    },
  },
  {
    name: "test-child-process-fork-exec-argv.js (a grandchild forked without execArgv gets its parent's)",
    run: async (cp) => {
      const spawned = (cp.spawn as unknown as Spawn)(process.execPath, ['--stack-size=256', child, 'fork-exec-argv', requirable(cp)], {});
      const { stdout, stderr, events: seen } = await observe(spawned);
      return { execArgv: JSON.parse(stdout ?? 'null') as unknown, stderr, seen };
    },
  },
  {
    name: 'test-child-process-fork-exec-path.js (a hard link to node as execPath)',
    run: async (cp) => {
      const directory = mkdtempSync(path.join(tmpdir(), 'child-process-exec-path-'));
      const copy = path.join(directory, 'node-copy.exe');
      try {
        // A hard link is a path of its own for /proc/self/exe, without copying 100 MB.
        try {
          linkSync(process.execPath, copy);
        } catch {
          copyFileSync(process.execPath, copy);
        }
        const forked = (cp.fork as unknown as Fork)(child, ['exec-path'], { execPath: copy, env: { ...process.env, COPY_PATH: copy } });
        return await events(forked);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'test-child-process-advanced-serialization.js',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as Spawn;
      const badSerialization = [null, 42, Infinity, 'foo'].map((serialization) => thrown(() => spawn(process.execPath, [], { serialization })));
      const echo = spawn(process.execPath, [child, 'echo-all'], { stdio: ['ipc', 'inherit', 'inherit'], serialization: 'advanced' }) as ChildLike & {
        send(message: unknown): boolean;
        disconnect(): void;
      };
      const circular: Record<string, unknown> = {};
      circular['circular'] = circular;
      const messages = [
        { uint8: new Uint8Array(4) },
        { float64: new Float64Array([Math.PI]) },
        { buffer: Buffer.from('Hello!') },
        { map: new Map([[{ a: 1 }, { b: 2 }]]) },
        { bigInt: 1337n },
        circular,
        new Error('Something went wrong'),
        new RangeError('Something range-y went wrong'),
      ];
      const roundTrips: unknown[] = [];
      for (const message of messages) {
        echo.send(message);
        const [received] = (await new Promise((resolve) => echo.once('message', (...args: unknown[]) => resolve(args)))) as unknown[];
        roundTrips.push(isDeepStrictEqual(received, message) || describeError(received));
      }
      const exit = exitOf(echo);
      echo.disconnect();
      return { badSerialization, roundTrips, exit: await exit };
    },
  },
  {
    name: 'test-child-process-advanced-serialization-largebuffer.js (four 8 MiB messages)',
    run: async (cp) => {
      const spawned = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'large-buffers'], {
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      // Each message as its length and fill, checked here: a deep diff of 8 MiB arrays is unreadable.
      const messages: unknown[] = [];
      spawned.on('message', (chunk: Uint8Array) => messages.push({ length: chunk.length, fill: chunk[0], uniform: chunk.every((byte) => byte === chunk[0]) }));
      const seen = await events(spawned);
      return { messages, events: seen.filter((event) => (event as unknown[])[0] !== 'message') };
    },
  },
  {
    name: "test-child-process-disconnect.js (the child learns of the parent's disconnect(); a second one throws)",
    run: async (cp) => {
      const forked = (cp.fork as unknown as Fork)(child, ['disconnect-server']);
      const seen: unknown[] = [];
      forked.on('disconnect', () => seen.push(['disconnect', forked.connected]));
      forked.on('message', (message: { msg?: string; port?: number }) => {
        if (message?.msg !== 'ready') return;
        const socket = net.connect(message.port as number, '127.0.0.1');
        socket.on('data', (data: Buffer) => {
          if (String(data) === 'ready') {
            forked.disconnect();
            seen.push(['second disconnect', thrown(() => forked.disconnect())]);
          } else {
            seen.push(['the child said it is connected', String(data)]);
          }
        });
      });
      // Up to 'exit': after the parent's own disconnect() Node 20 never emits 'close' (see the table).
      seen.push(['exit', ...(await exitOf(forked))]);
      return seen;
    },
  },
  {
    name: "test-child-process-server-close.js (a Unix socket connection as a child's stdout, in a forked child)",
    run: (cp) => events((cp.fork as unknown as Fork)(child, ['server-close', requirable(cp)], { stdio: 'inherit' })),
  },
  {
    name: "test-child-process-set-blocking.js (python3's 100,000 characters on an inherited stdout, in a child of ours)",
    run: async (cp) => {
      const parent = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'python-inherit', requirable(cp)], {});
      const { stdout, stderr, events: seen } = await observe(parent);
      return { length: stdout?.length, allC: /^C+\n$/.test(stdout ?? ''), stderr, seen };
    },
  },
  {
    name: "test-child-process-bad-stdio.js (exec() when spawn() left no stdout or stderr; ChildProcess patched through the module's export)",
    run: async (cp) => {
      const { prototype } = (cp as unknown as { ChildProcess: { prototype: { spawn(...args: unknown[]): unknown } } }).ChildProcess;
      const original = prototype.spawn;
      prototype.spawn = function (this: ChildLike, ...args: unknown[]): unknown {
        const result = original.apply(this, args);
        this.stdout?.destroy();
        this.stderr?.destroy();
        this.stdout = null;
        this.stderr = null;
        return result;
      };
      try {
        const command = `"${process.execPath}" "${child}" linger`;
        const started: ChildLike[] = [];
        const exec = (options: object, callback: Callback<Error>): ChildLike => {
          const execed = (cp.exec as unknown as Exec)(command, options, callback);
          started.push(execed);
          return execed;
        };
        const normal = callbackResult((callback) => exec({}, callback));
        const error = new Error('foo');
        // The callback runs inside emit('error'), before exec() has returned.
        const withError = new Promise((resolve) => {
          exec({}, (reported, stdout, stderr) => resolve({ sameError: reported === error, stdout, stderr })).emit('error', error);
        });
        const killed = callbackResult((callback) => exec({ timeout: 1 }, callback));
        const results = { normal: await normal, withError: await withError, killed: await killed };
        // The child that 'error' was emitted on still runs its course.
        await Promise.all(started.map((execed) => (execed.exitCode === null && execed.signalCode === null ? exitOf(execed) : undefined)));
        return results;
      } finally {
        prototype.spawn = original;
      }
    },
  },
  {
    name: 'test-child-process-cwd.js',
    run: async (cp) => {
      const directory = mkdtempSync(path.join(tmpdir(), 'child-process-cwd-'));
      const spawn = cp.spawn as unknown as Spawn;
      const pwd = async (options: object): Promise<unknown> => {
        const started = spawn('pwd', [], options);
        const pidType = typeof started.pid;
        const { events: seen, stdout } = await observe(started);
        return { pidType, seen, stdout: stdout?.trim() === directory ? '<the directory>' : stdout?.trim() };
      };
      try {
        return {
          missing: await pwd({ cwd: 'does-not-exist' }),
          httpUrl: thrown(() => spawn('pwd', [], { cwd: new URL('http://example.com/') })),
          hostUrl: thrown(() => spawn('pwd', [], { cwd: new URL('file://host/dev/null') })),
          found: await Promise.all([directory, '/dev', pathToFileURL(directory), '', undefined, null].map((cwd) => pwd({ cwd }))),
        };
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'test-child-process-spawn-error.js',
    run: async (cp) => {
      const missing = (cp.spawn as unknown as Spawn)('foo123', ['bar']);
      const shape = {
        streams: [missing.stdin, missing.stdout, missing.stderr].map((stream) => stream !== undefined),
        stdioIsArray: Array.isArray(missing.stdio),
        sameStreams: missing.stdio[0] === missing.stdin && missing.stdio[1] === missing.stdout && missing.stdio[2] === missing.stderr,
        pid: missing.pid,
      };
      let errnoName: string | undefined;
      missing.on('error', (error: NodeJS.ErrnoException) => (errnoName = getSystemErrorName(error.errno ?? 0)));
      return { shape, observed: await observe(missing), errnoName };
    },
  },
  {
    name: "test-child-process-spawn-event.js ('spawn' before everything else)",
    run: async (cp) => {
      const echo = (cp.spawn as unknown as Spawn)('echo', ['ok']);
      const seen: string[] = [];
      echo.on('spawn', () => seen.push('spawn'));
      echo.on('error', () => seen.push('error'));
      for (const name of ['data', 'end', 'close']) {
        echo.stdout?.on(name, () => seen.push(`stdout ${name}`));
        echo.stderr?.on(name, () => seen.push(`stderr ${name}`));
      }
      echo.on('exit', () => seen.push('exit'));
      await closeOf(echo);
      // As Node's test: 'spawn' first, then each of the others once. Where the streams' 'close'
      // falls beside 'exit' is a race in Node too (a poll that saw the EOF but not yet the exit).
      return { first: seen[0], all: [...seen].sort() };
    },
  },
  {
    name: 'test-child-process-spawn-typeerror.js (spawn, execFile and fork take the same argument shapes)',
    run: async (cp) => {
      const spawn = cp.spawn as unknown as (...args: unknown[]) => ChildLike;
      const execFile = cp.execFile as unknown as (...args: unknown[]) => ChildLike;
      const fork = cp.fork as unknown as (...args: unknown[]) => ChildLike;
      const started: ChildLike[] = [];
      const attempt = (start: () => ChildLike): unknown => {
        try {
          started.push(start());
          return 'ok';
        } catch (error) {
          return describeError(error);
        }
      };
      const [a, o, c, s, u, n] = [[], {}, (): void => undefined, 'string', undefined, null];
      const cmd = 'ls';
      const results = {
        spawnFirst: [
          attempt(() => spawn('hopefully_you_dont_have_this_on_your_machine', 'this is not an array')),
          attempt(() => spawn()),
          attempt(() => spawn('')),
          attempt(() => spawn({ toString: () => null })),
          ...[[true], [[], null], [[], 1], [[], { uid: 2 ** 63 }], [[], { gid: 2 ** 63 }]].map((args) => attempt(() => spawn(cmd, ...args))),
        ],
        spawn: [[], [a], [a, o], [o], [u, o], [n, o], [a, u], [a, n], [s], [a, s], [a, a]].map((args) => attempt(() => spawn(cmd, ...args))),
        execFile: [
          [], [a], [a, o], [a, o, c], [a, c], [o], [o, c], [c],
          [u, o, c], [a, u, c], [a, o, u], [n, o, c], [a, n, c], [a, o, n], [u, u, u], [u, u, c], [u, o, u], [a, u, u], [n, n, n],
          [n, n, c], [n, o, n], [a, n, n], [a, u], [a, n], [o, u], [o, n], [c, u], [c, n],
          [s, o, c], [a, s, c], [a, o, s], [a, s], [o, s], [u, u, s], [n, n, s], [a, u, s], [a, n, s], [u, o, s], [n, o, s], [a, a], [c, s],
        ].map((args) => attempt(() => execFile(cmd, ...args))),
        fork: [[], [a], [a, o], [o], [u, u], [u, o], [a, u], [n, n], [n, o], [a, n], [s], [a, s], [a, a]].map((args) => attempt(() => fork(empty, ...args))),
      };
      const closes = await Promise.all(started.map(closeOf));
      return { results, closes };
    },
  },
  {
    name: 'test-child-process-exec-maxbuf.js',
    run: async (cp) => {
      const exec = cp.exec as unknown as (command: string, ...rest: unknown[]) => ChildLike;
      const run = (command: string, options?: object, encoding?: 'stdout' | 'stderr'): Promise<unknown> =>
        callbackResult((callback) => {
          const started = options === undefined ? exec(command, callback) : exec(command, options, callback);
          if (encoding !== undefined) started[encoding]?.setEncoding('utf-8');
          return started;
        });
      const quoted = `"${process.execPath}"`;
      const unicode = '中文测试';
      const results = await Promise.all([
        run(`${quoted} -e "console.log('a'.repeat(1024 * 1024))"`),
        run(`${process.execPath} -e "console.log('a'.repeat(1024 * 1024 - 1))"`),
        run(`${quoted} -e "console.log('hello world');"`, { maxBuffer: Infinity }),
        run('echo hello world', { maxBuffer: 5 }),
        run(`${quoted} -e "console.log('${unicode}');"`, { maxBuffer: 10 }),
        run(`${quoted} -e "console.error('${unicode}');"`, { maxBuffer: 3 }),
        run(`${quoted} -e "console.log('${unicode}');"`, { encoding: null, maxBuffer: 10 }, 'stdout'),
        run(`${quoted} -e "console.error('${unicode}');"`, { encoding: null, maxBuffer: 3 }, 'stderr'),
        run(`${quoted} -e "console.error('${unicode}');"`, { encoding: null, maxBuffer: 5 }),
      ]);
      // The 1 MiB outputs as their length: a diff of them would be unreadable.
      return results.map((result) => {
        const { stdout, ...rest } = result as { stdout: unknown };
        return { ...rest, stdout: typeof stdout === 'string' && stdout.length > 64 ? { length: stdout.length, onlyA: /^a+\n?$/.test(stdout) } : stdout };
      });
    },
  },
  {
    name: 'test-child-process-promisified.js',
    run: async (cp) => {
      const { ChildProcess } = cp as unknown as { ChildProcess: new () => ChildLike };
      const exec = promisify(cp.exec as unknown as (command: string, callback: Callback<Error>) => void) as unknown as Promisified;
      const execFile = promisify(cp.execFile as unknown as (file: string, args: string[], callback: Callback<Error>) => void) as unknown as Promisified;
      const failing = 'console.log(42);console.error(43);process.exit(1)';
      const promises = [
        exec(`${process.execPath} -p 42`),
        execFile(process.execPath, ['-p', '42']),
        exec('doesntexist'),
        execFile('doesntexist', ['-p', '42']),
        exec(`${process.execPath} -e "${failing}"`),
        execFile(process.execPath, ['-e', failing]),
      ];
      const children = promises.map((promise) => promise.child instanceof ChildProcess);
      const settled = await Promise.all(
        promises.map((promise) =>
          promise.then(
            (value) => ({ resolved: value }),
            (error: Error & { code?: unknown; stdout?: unknown; stderr?: unknown }) => ({
              rejected: { code: error.code, namesTheFile: error.message.includes('doesntexist'), stdout: error.stdout, stderr: error.stderr },
            }),
          ),
        ),
      );
      return { children, settled };
    },
  },
  {
    name: 'test-child-process-prototype-tampering.mjs (Object.prototype polluted in a child of ours, every function of the module)',
    run: async (cp) => {
      const started = (cp.spawn as unknown as Spawn)(process.execPath, [child, 'prototype-tampering', requirable(cp)], {});
      const { stdout, stderr, events: seen } = await observe(started);
      const { cwd, uid, sync, async } = JSON.parse(stdout ?? 'null') as { cwd: string; uid: number; sync: [string, string][]; async: [string, unknown][] };
      // As Node's test: each output is the child's own cwd or uid, never the polluted one.
      const expected = (label: string): string => `${label.endsWith('pwd') ? cwd : uid}\n`;
      const outputs = [...sync, ...async].filter(([label]) => label !== 'fork exit');
      return {
        untouched: outputs.every(([label, out]) => out === expected(label)),
        count: outputs.length,
        fork: async.find(([label]) => label === 'fork exit'),
        stderr,
        seen,
      };
    },
  },
  {
    name: 'test-child-process-reject-null-bytes.js',
    run: async (cp) => {
      type AnyFunction = (...args: unknown[]) => unknown;
      const functions = cp as unknown as Record<'exec' | 'execFile' | 'execFileSync' | 'execSync' | 'fork' | 'spawn' | 'spawnSync', AnyFunction>;
      const { exec, execFile, execFileSync, execSync, fork, spawn, spawnSync } = functions;
      const never = (): void => {
        throw new Error('the callback was called');
      };
      const bad = 'BBB\0XXX';
      const node = process.execPath;
      const calls: [string, () => unknown][] = [
        ['exec command', () => exec(`${node} ${child} AAA ${bad} CCC`, never)],
        ['exec command head', () => exec('BBB\0XXX AAA CCC', never)],
        ['execSync command', () => execSync(`${node} ${child} AAA ${bad} CCC`)],
        ['execSync command head', () => execSync('BBB\0XXX AAA CCC')],
        ['spawn file', () => spawn(bad)],
        ['execFile file', () => execFile(bad, never)],
        ['execFileSync file', () => execFileSync(bad)],
        ['spawnSync file', () => spawnSync(bad)],
        ['fork modulePath', () => fork(bad)],
        ['execFile args', () => execFile(node, [child, 'AAA', bad, 'CCC'], never)],
        ['execFileSync args', () => execFileSync(node, [child, 'AAA', bad, 'CCC'])],
        ['fork args', () => fork(child, ['AAA', bad, 'CCC'])],
        ['spawn args', () => spawn(node, [child, 'AAA', bad, 'CCC'])],
        ['spawnSync args', () => spawnSync(node, [child, 'AAA', bad, 'CCC'])],
      ];
      const withOption = (option: string, value: unknown, names: (keyof typeof functions)[]): void => {
        for (const name of names) {
          const call = functions[name];
          const target = name === 'fork' ? child : node;
          const withCallback = name === 'exec' || name === 'execFile';
          calls.push([`${name} options.${option}`, () => (withCallback ? call(target, { [option]: value }, never) : call(target, { [option]: value }))]);
        }
      };
      const every = ['exec', 'execFile', 'execFileSync', 'execSync', 'fork', 'spawn', 'spawnSync'] as const;
      withOption('cwd', bad, [...every]);
      withOption('argv0', bad, [...every]);
      // Not fork(): it has no shell option (it sets shell: false itself).
      withOption('shell', bad, every.filter((name) => name !== 'fork'));
      withOption('env', { AAA: bad }, [...every]);
      withOption('env', { [bad]: 'AAA' }, [...every]);
      withOption('execPath', bad, ['fork']);
      withOption('execArgv', ['AAA', bad, 'CCC'], ['fork']);
      return calls.map(([label, call]) => [label, thrown(call)]);
    },
  },
  {
    name: "test-child-process-windows-hide.js (its spawn() and execFile() halves, ChildProcess.prototype.spawn spied on through the module's export; its spawnSync() half spies on an internal function)",
    run: async (cp) => {
      const { prototype } = (cp as unknown as { ChildProcess: { prototype: { spawn(options: { windowsHide?: unknown }): unknown } } }).ChildProcess;
      const original = prototype.spawn;
      const seen: unknown[] = [];
      prototype.spawn = function (this: unknown, options: { windowsHide?: unknown }): unknown {
        seen.push(options.windowsHide);
        return original.call(this, options);
      };
      try {
        const spawned = (cp.spawn as unknown as Spawn)(process.execPath, ['-p', '42'], { windowsHide: true });
        const spawnedSaid = text(spawned.stdout);
        const spawnExit = await exitOf(spawned);
        const spawnSeen = [...seen];
        const execFiled = await callbackResult((callback) => (cp.execFile as unknown as ExecFile)(process.execPath, ['-p', '42'], { windowsHide: true }, callback));
        return { spawnExit, spawnedSaid: await spawnedSaid, spawnSeen, execFiled, seen };
      } finally {
        prototype.spawn = original;
      }
    },
  },
  {
    name: 'test-child-process-spawn-windows-batch-file.js (on Linux: .bat and .cmd names are ENOENT like any other, with and without --security-revert=CVE-2024-27980)',
    run: async (cp) => {
      const { spawnSync } = cp as unknown as { spawnSync: typeof node.spawnSync };
      return ['', '--security-revert=CVE-2024-27980'].map((flag) => {
        const result = spawnSync(process.execPath, [...(flag ? [flag] : []), child, 'batch-files', requirable(cp)], { env: quickNodeEnv() });
        // Node prints its SECURITY WARNING for the revert on stdout, on a line of its own.
        const lines = String(result.stdout).split('\n');
        const results = JSON.parse(lines.pop() || 'null') as unknown;
        return { flag, status: result.status, before: lines, results, stderr: String(result.stderr) };
      });
    },
  },
];

describe("Node's own child_process tests, ported: node:child_process and ours observe the same", () => {
  it.each(behaviours.map((behaviour) => [behaviour.name, behaviour] as const))('%s', (_name, behaviour) => conforms(behaviour));
});
