// `error.childStep` names the step of the child path that failed. The addon makes its enum and
// name table from one list (native/child/child_steps.h) and src/core/child-steps.ts lists the same names for
// the type: they must agree, in order, or a step the child reports would type as something else.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CHILD_STEPS, toChildStep, type ChildStep } from '../../src/core/child-steps';
import type { SpawnError } from '../../src/core/errors';
import { native } from '../../src/core/native';

describe('the child path steps', () => {
  it('are the same list, in the same order, in the addon and in TypeScript', () => {
    expect([...native.childStepNames]).toEqual([...CHILD_STEPS]);
  });

  it('type every step the addon can report, so err.childStep === "setrlimit" type-checks', () => {
    expectTypeOf<'setrlimit' | 'closeFds' | 'setsid' | 'prctl'>().toMatchTypeOf<ChildStep>();
    expectTypeOf<SpawnError['childStep']>().toEqualTypeOf<ChildStep | undefined>();
    for (const name of native.childStepNames) expect(toChildStep(name)).toBe(name);
  });

  it('reads a name this build does not know as "unknown"', () => {
    expect(toChildStep('a-step-from-a-newer-addon')).toBe('unknown');
  });
});
