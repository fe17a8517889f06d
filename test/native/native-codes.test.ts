// The spawn request's vocabulary, the stdio codes and the request's field names, is written once
// on each side: native/js/spawn_request.h for the addon, src/core/native-codes.ts for TypeScript.
// The addon reports its lists (`stdioCodes`, `spawnRequestFields`): they must be these, in the
// same order, or a request would carry a code or a field the other side reads differently.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { native, STDIO_IGNORE, STDIO_PIPE, STDIO_SOCKET, type NativeSpawnRequest } from '../../src/core/native';
import { SPAWN_REQUEST_FIELDS, STDIO_CODES, type SpawnRequestField } from '../../src/core/native-codes';
import { planSpawn } from '../../src/core/options';

describe('the spawn request vocabulary', () => {
  it('has the same stdio codes, by name, in the addon and in TypeScript', () => {
    expect(Object.entries(native.stdioCodes)).toEqual(Object.entries(STDIO_CODES));
    expect([STDIO_PIPE, STDIO_IGNORE, STDIO_SOCKET]).toEqual([native.stdioCodes['pipe'], native.stdioCodes['ignore'], native.stdioCodes['socket']]);
  });

  it('has the same request fields, in the same order', () => {
    expect([...native.spawnRequestFields]).toEqual([...SPAWN_REQUEST_FIELDS]);
  });

  it('builds requests with exactly those fields, typed as those', () => {
    expectTypeOf<keyof NativeSpawnRequest>().toEqualTypeOf<SpawnRequestField>();
    const { request } = planSpawn('true', [], { stdio: ['pipe', 'ignore', 'inherit'], detached: true, rlimits: { nofile: 64 } });
    expect(Object.keys(request).sort()).toEqual([...SPAWN_REQUEST_FIELDS].sort());
    expect(request.stdio.slice(0, 2)).toEqual([native.stdioCodes['pipe'], native.stdioCodes['ignore']]);
  });
});
