// The steps of the child path between clone and exec, by the names the addon reports in
// `error.childStep`. The native side makes its enum and name table from one list
// (native/child/child_steps.h); test/native/child-steps.test.ts checks this list is that one, in order.
export const CHILD_STEPS = [
  'unknown',
  'sigaction',
  'sigprocmask',
  'fcntl',
  'dup2',
  'chdir',
  'execvp',
  'closeFds',
  'setsid',
  'setpgid',
  'setrlimit',
  'setgroups',
  'setgid',
  'setuid',
  'prctl',
] as const;

/** The step of the child path that failed; 'unknown' when the parent could not read the report. */
export type ChildStep = (typeof CHILD_STEPS)[number];

const knownSteps: ReadonlySet<string> = new Set(CHILD_STEPS);

/** The addon's name for a step, as the type; a name this build does not know reads as 'unknown'. */
export function toChildStep(name: string): ChildStep {
  return knownSteps.has(name) ? (name as ChildStep) : 'unknown';
}
