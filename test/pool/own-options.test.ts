// Options are read as own properties only: a polluted Object.prototype changes nothing, for every
// pool option, every nested one, the run() options and the spawn options a pool passes on.
import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from '../../src/pool';
import { normalizePoolOptions, normalizeRunOptions, POOL_KEYS } from '../../src/pool/options';
import { expectNoLeaks } from '../helpers/leaks';
import { nodeEcho } from '../helpers/pool-workers';

// For each option, a value that would change the configuration, or be refused, if it were read.
const POLLUTION: Record<string, unknown> = {
  command: 'polluted-command',
  args: ['--polluted'],
  size: 77,
  maxQueue: 3,
  taskTimeoutMs: 5,
  readyTimeoutMs: 5,
  heartbeatIntervalMs: 7,
  heartbeatTimeoutMs: 7,
  healthyAfterMs: 9,
  frameTimeoutMs: 9,
  retries: 9,
  retryBackoffMs: 9,
  maxTasksPerWorker: 9,
  maxInFlightPerWorker: 9,
  maxFrameSize: 100,
  restartBackoff: { initialMs: 1, maxMs: 2 },
  crashLoop: { maxCrashes: 1, windowMs: 1, fatalSignals: true },
  shutdown: { drainTimeoutMs: 1, ackTimeoutMs: 1, termTimeoutMs: 1 },
  stderr: 'pipe',
  parentDeathSignal: null,
};
const NESTED_POLLUTION: Record<string, unknown> = {
  initialMs: 3,
  maxMs: 4,
  maxCrashes: 2,
  windowMs: 3,
  fatalSignals: true,
  drainTimeoutMs: 3,
  ackTimeoutMs: 3,
  termTimeoutMs: 3,
};
// Spawn options a pool passes on: each would break the worker or refuse the pool if inherited.
const SPAWN_POLLUTION: Record<string, unknown> = {
  stdio: 'inherit',
  shell: '/nonexistent/shell',
  cwd: '/nonexistent',
  env: { PATH: '/nonexistent' },
  argv0: 'polluted',
  uid: 12345,
  newSession: 'yes',
  closeFds: 'no',
  spawnMethod: 'polluted',
  rlimits: 5,
};

const prototype = Object.prototype as Record<string, unknown>;
afterEach(() => {
  for (const key of [...Object.keys(POLLUTION), ...Object.keys(NESTED_POLLUTION), ...Object.keys(SPAWN_POLLUTION), 'timeoutMs', 'signal']) {
    delete prototype[key];
  }
});

function polluted<T>(key: string, value: unknown, body: () => T): T {
  prototype[key] = value;
  try {
    return body();
  } finally {
    delete prototype[key];
  }
}

const given = () => ({ ...nodeEcho, size: 2, restartBackoff: {}, crashLoop: {}, shutdown: {} });

describe('a polluted Object.prototype', () => {
  it('covers every pool option in this test', () => {
    expect(Object.keys(POLLUTION).sort()).toEqual([...POOL_KEYS].sort());
  });

  it.each(Object.entries(POLLUTION))('Object.prototype.%s changes nothing', (key, value) => {
    const expected = normalizePoolOptions(given());
    const options: Record<string, unknown> = given();
    if (key === 'args') delete options['args'];
    const expectedWithout = key === 'args' ? normalizePoolOptions(options) : expected;
    expect(polluted(key, value, () => normalizePoolOptions(options))).toEqual(expectedWithout);
  });

  it.each(Object.entries(NESTED_POLLUTION))('Object.prototype.%s changes no nested option', (key, value) => {
    const expected = normalizePoolOptions(given());
    expect(polluted(key, value, () => normalizePoolOptions(given()))).toEqual(expected);
    expect(polluted(key, value, () => normalizePoolOptions({ ...nodeEcho, size: 2 }))).toEqual(expected);
  });

  it.each(Object.entries(SPAWN_POLLUTION))('Object.prototype.%s reaches no spawn option', (key, value) => {
    const config = polluted(key, value, () => normalizePoolOptions(given()));
    expect(Object.getPrototypeOf(config.spawnOptions)).toBe(null);
    expect(Object.keys(config.spawnOptions)).toEqual(['parentDeathSignal']);
  });

  it('run() options: timeoutMs, retries and signal are not inherited', () => {
    const config = normalizePoolOptions(given());
    prototype['timeoutMs'] = 0;
    prototype['retries'] = -1;
    prototype['signal'] = 'not a signal';
    expect(normalizeRunOptions({}, config)).toEqual({ timeoutMs: Infinity, retries: 0, signal: undefined });
  });

  it('a pool started under all of it at once spawns its workers as if nothing were polluted', () =>
    expectNoLeaks(async () => {
      Object.assign(prototype, POLLUTION, NESTED_POLLUTION, SPAWN_POLLUTION);
      let pool: Pool;
      try {
        pool = new Pool({ ...nodeEcho, size: 2 });
        await pool.start();
        expect((await pool.run('clean')).toString()).toBe('clean');
      } finally {
        for (const key of [...Object.keys(POLLUTION), ...Object.keys(NESTED_POLLUTION), ...Object.keys(SPAWN_POLLUTION)]) delete prototype[key];
      }
      expect(pool.size).toBe(2);
      await pool.close();
    }));
});
