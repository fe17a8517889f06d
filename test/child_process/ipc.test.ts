// fork() and the 'ipc' stdio slot, against real Node children (test/fixtures/ipc-*.js): each
// behaviour runs against node:child_process and against ours and must observe the same.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { conforms, describeError, node, ours, text, thrown, type Behaviour, type ChildLike } from '../helpers/conformance';
import { expectNoLeaks } from '../helpers/leaks';

const fixture = (name: string): string => path.join(__dirname, '..', 'fixtures', name);
const root = path.join(__dirname, '..', '..');

/** A child with a channel, as both modules give it. */
interface IpcChild extends ChildLike {
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  send(message: unknown, handle: unknown, callback?: (error: Error | null) => void): boolean;
  disconnect(): void;
  channel?: { ref(): void; unref(): void } | undefined;
}

/** Every event of an IPC child in order, with its arguments, until 'close'. */
function recordUntilClose(child: IpcChild, onEvent?: (name: string, args: unknown[]) => void): Promise<unknown[]> {
  return recordUntil('close', child, onEvent);
}

/**
 * Until 'exit', for a channel the parent closed itself: Node 20 then never emits 'close' (it counts
 * the channel only when it reads the child's EOF), while ours does; see docs/child_process.md.
 */
function recordUntilExit(child: IpcChild, onEvent?: (name: string, args: unknown[]) => void): Promise<unknown[]> {
  return recordUntil('exit', child, onEvent);
}

function recordUntil(last: string, child: IpcChild, onEvent?: (name: string, args: unknown[]) => void): Promise<unknown[]> {
  const events: unknown[] = [];
  return new Promise((resolve) => {
    for (const name of ['spawn', 'message', 'disconnect', 'exit', 'error', 'close']) {
      child.on(name, (...args: unknown[]) => {
        events.push([name, ...args.map(describeError), { connected: child.connected }]);
        onEvent?.(name, args);
        if (name === last) resolve(events.slice());
      });
    }
  });
}

const behaviours: Behaviour[] = [
  {
    name: "the channel as execa uses it: refCounted()/unrefCounted(), no 'disconnect' listener of the module's own, channel null right after disconnect()",
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), [], { stdio: 'ignore' }) as IpcChild;
      const channel = child.channel as unknown as Record<string, unknown>;
      const methods = ['ref', 'unref', 'refCounted', 'unrefCounted'].map((name) => [name, typeof channel[name]]);
      (channel['refCounted'] as () => void).call(channel);
      (channel['unrefCounted'] as () => void).call(channel);
      const listeners = ['disconnect', 'message', 'exit', 'close'].map((name) => [name, child.listenerCount(name)]);
      const fd = typeof channel['fd'];
      child.disconnect();
      const afterDisconnect = { channel: child.channel, connected: child.connected };
      // Up to 'exit': after the parent's own disconnect() Node 20 never emits 'close'.
      const exited = await new Promise((resolve) => child.on('exit', (...args: unknown[]) => resolve(args)));
      return { methods, listeners, fd, afterDisconnect, exited };
    },
  },
  {
    name: "fork(): messages both ways (json), send's callback, then 'disconnect', 'exit', 'close' in Node's order",
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), [], { stdio: 'pipe' }) as IpcChild;
      const callbacks: unknown[] = [];
      const sent = [child.send({ n: 1, text: 'é€' }, (error) => callbacks.push(describeError(error))), child.send([1, 'two', null])];
      const fields = { connected: child.connected, stdio: child.stdio.map((stream) => stream === null), channel: typeof child.channel };
      let echoes = 0;
      const events = recordUntilClose(child, (name) => {
        if (name === 'message' && ++echoes === 2) child.send('bye');
      });
      const [stdout] = await Promise.all([text(child.stdout), events]);
      return { sent, fields, callbacks, events: await events, stdout };
    },
  },
  {
    name: "fork(): serialization 'advanced' carries what JSON cannot (Map, Set, Date, BigInt, typed arrays, undefined)",
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), [], { serialization: 'advanced', stdio: 'ignore' }) as IpcChild;
      const message = {
        map: new Map<unknown, unknown>([['a', 1], [2, { b: [3n] }]]),
        set: new Set(['x', 'y']),
        date: new Date(0),
        big: 2n ** 70n,
        bytes: new Uint8Array([1, 2, 255]),
        floats: new Float64Array([0.5, -1]),
        nothing: undefined,
        nested: [[[{ deep: 'yes' }]]],
        regexp: /a+b/gi,
      };
      child.send(message);
      const events = recordUntilClose(child, (name) => {
        if (name === 'message') child.send('bye');
      });
      return events;
    },
  },
  {
    name: "disconnect() from the parent: 'disconnect' a tick later, then ERR_IPC_DISCONNECTED, and send() calls back with ERR_IPC_CHANNEL_CLOSED",
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }) as IpcChild;
      const seen: unknown[] = [];
      const events = recordUntilExit(child, (name) => {
        if (name !== 'message') return;
        child.disconnect();
        seen.push({ connectedAfterDisconnect: child.connected });
        child.disconnect();
        seen.push({ sentAfter: child.send('late', (error) => seen.push({ callback: describeError(error) })) });
      });
      child.send('first');
      const [stdout] = await Promise.all([text(child.stdout), events]);
      return { seen, events: await events, stdout };
    },
  },
  {
    name: "a child that exits while connected: 'disconnect' comes before 'exit', and 'close' after both",
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), [], { stdio: 'ignore' }) as IpcChild;
      child.send('exit');
      return recordUntilClose(child);
    },
  },
  {
    name: 'the child speaks first; fork(path, options) without args; silent pipes stdout',
    run: async (cp) => {
      const forkWithoutArgs = cp.fork as unknown as (modulePath: string, options: object) => IpcChild;
      const child = forkWithoutArgs(fixture('ipc-hello.js'), { silent: true });
      const events = recordUntilExit(child, (name) => {
        if (name === 'message') child.disconnect();
      });
      const [stdout, stderr] = await Promise.all([text(child.stdout), text(child.stderr), events]);
      return { stdout, stderr, events: await events };
    },
  },
  {
    name: 'fork(): args, execArgv and execPath reach the child; NODE_CHANNEL_FD is consumed by Node',
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), ['one', 'two words'], {
        execArgv: ['--no-warnings', '--max-old-space-size=64'],
        execPath: process.execPath,
        stdio: 'ignore',
      }) as IpcChild;
      child.send('report');
      const events = recordUntilExit(child, (name) => {
        if (name === 'message') child.disconnect();
      });
      return { spawnargs: child.spawnargs.slice(1), events: await events };
    },
  },
  {
    name: "spawn() with an 'ipc' slot at fd 4: a Node child finds its channel there",
    run: async (cp) => {
      const script = "process.send({ fd: 'found' }); process.on('message', (m) => { process.send(m); process.disconnect(); })";
      const child = cp.spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ignore', 'ipc'] }) as IpcChild;
      const events = recordUntilClose(child, (name, args) => {
        if (name === 'message' && (args[0] as { fd?: string }).fd === 'found') child.send({ back: true });
      });
      return { stdio: child.stdio.length, events: await events };
    },
  },
  {
    name: 'send() checks its arguments as Node: a missing message, a symbol, options that are not an object',
    run: async (cp) => {
      const child = cp.fork(fixture('ipc-echo.js'), [], { stdio: 'ignore' }) as IpcChild;
      const errors = {
        missing: thrown(() => (child.send as (m?: unknown) => boolean)()),
        symbol: thrown(() => child.send(Symbol('x'))),
        options: thrown(() => (child.send as (m: unknown, h: unknown, o: unknown) => boolean)('x', undefined, 'nope')),
      };
      const events = recordUntilExit(child);
      child.disconnect();
      return { errors, events: await events };
    },
  },
  {
    name: "fork() and 'ipc' validation: stdio without 'ipc', two 'ipc' slots, an unknown serialization, null bytes",
    run: async (cp) => ({
      noIpc: thrown(() => cp.fork(fixture('ipc-echo.js'), [], { stdio: ['pipe', 'pipe', 'pipe'] })),
      twoIpc: thrown(() => cp.spawn('true', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'ipc'] })),
      serialization: thrown(() => cp.fork(fixture('ipc-echo.js'), [], { serialization: 'yaml' as 'json' })),
      modulePath: thrown(() => cp.fork('a\0b', [], {})),
      arg: thrown(() => cp.fork(fixture('ipc-echo.js'), ['a\0b'], {})),
      execPath: thrown(() => cp.fork(fixture('ipc-echo.js'), [], { execPath: 'node\0' })),
      execArgv: thrown(() => cp.fork(fixture('ipc-echo.js'), [], { execArgv: ['--x\0'] })),
    }),
  },
];

describe('fork() and IPC: node:child_process and ours observe the same', () => {
  it.each(behaviours.map((behaviour) => [behaviour.name, behaviour] as const))('%s', (_name, behaviour) => conforms(behaviour));
});

/** n round trips, each waiting for the answer to the last. */
async function roundTrips(cp: typeof node, serialization: 'json' | 'advanced', count: number): Promise<number> {
  const child = cp.fork(fixture('ipc-counter.js'), [], { serialization, stdio: 'ignore' });
  const last = await new Promise<number>((resolve) => {
    child.on('message', (n: number) => {
      if (n >= count) resolve(n);
      else child.send(n);
    });
    child.send(0);
  });
  child.disconnect();
  await new Promise((resolve) => child.on('close', resolve));
  return last;
}

describe('fork() and IPC: ours', () => {
  it.each(['json', 'advanced'] as const)('round-trips 1,000 messages in order (%s)', async (serialization) => {
    const last = await expectNoLeaks(() => roundTrips(ours as unknown as typeof node, serialization, 1000));
    expect(last).toBe(1000);
  });

  it('sends a burst of 1,000 messages without waiting, and all arrive in order', async () => {
    await expectNoLeaks(async () => {
      const child = ours.fork(fixture('ipc-echo.js'), [], { stdio: 'ignore' });
      const received: number[] = [];
      const done = new Promise<void>((resolve) =>
        child.on('message', (message: { echo: number }) => {
          received.push(message.echo);
          if (received.length === 1000) resolve();
        }),
      );
      for (let i = 0; i < 1000; i++) child.send(i);
      await done;
      child.disconnect();
      await new Promise((resolve) => child.on('close', resolve));
      expect(received).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });
  });

  it("send() returns false once the child stops reading and the socket's buffer is full, as Node's does", async () => {
    for (const cp of [node, ours as unknown as typeof node]) {
      // sleep never reads its fd 3: what we write stays in the socketpair, then in our queue.
      const child = cp.spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      const chunk = 'x'.repeat(64 * 1024);
      let accepted = 0;
      while (child.send(chunk, () => undefined)) {
        accepted++;
        expect(accepted).toBeLessThan(200);
      }
      expect(accepted).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
    }
  });

  it("emits 'close' after the parent's own disconnect() once the child has exited (Node 20 never does)", async () => {
    await expectNoLeaks(async () => {
      const child = ours.fork(fixture('ipc-echo.js'), [], { stdio: 'ignore' });
      const events: string[] = [];
      for (const name of ['disconnect', 'exit', 'close']) child.on(name, () => events.push(name));
      child.disconnect();
      await new Promise((resolve) => child.on('close', resolve));
      expect(events).toEqual(['disconnect', 'exit', 'close']);
    });
  });

  it('channel.unref() and unref() let the parent exit while the child stays connected, in Node and in ours', async () => {
    const results = [];
    for (const module of ['node', 'ours']) {
      const { stdout } = await promisify(execFile)(process.execPath, [fixture('ipc-unref-parent.js'), module], {
        cwd: root,
        timeout: 10_000,
      });
      results.push(JSON.parse(stdout) as unknown);
    }
    expect(results).toEqual([{ connected: true }, { connected: true }]);
  });
});
