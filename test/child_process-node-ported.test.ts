// Node v20's own test/parallel/test-child-process-*.js cases, ported to the conformance suite:
// each runs against node:child_process and against ours and must observe the same. The list of
// ported and not ported tests, with the reasons, is in docs/child_process.md.
import path from 'node:path';
import { describe, it } from 'vitest';
import { conforms, describeError, thrown, type Behaviour, type ChildLike } from './helpers/conformance';

const child = path.join(__dirname, 'fixtures', 'node-ported-child.js');
type Fork = (modulePath: unknown, args?: unknown, options?: unknown) => ChildLike & {
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
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
];

describe("Node's own child_process tests, ported: node:child_process and ours observe the same", () => {
  it.each(behaviours.map((behaviour) => [behaviour.name, behaviour] as const))('%s', (_name, behaviour) => conforms(behaviour));
});
