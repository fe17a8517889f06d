// The steps of the child path, in the order of their codes. This one list makes the ChildStep enum
// and the name table the parent reports as `error.childStep`; src/core/child-steps.ts lists the same
// names for the TypeScript type, and test/native/child-steps.test.ts checks that the two agree
// through the addon's `childStepNames()`.
// X(enumerator, code, name). Code 0 is "unknown": a report the parent could not read.
#ifndef PROCESS_SPAWNER_CHILD_STEPS_H_
#define PROCESS_SPAWNER_CHILD_STEPS_H_

#define PS_CHILD_STEPS(X)             \
  X(kStepUnknown, 0, "unknown")       \
  X(kStepSigaction, 1, "sigaction")   \
  X(kStepSigprocmask, 2, "sigprocmask") \
  X(kStepFcntl, 3, "fcntl")           \
  X(kStepDup2, 4, "dup2")             \
  X(kStepChdir, 5, "chdir")           \
  X(kStepExecvp, 6, "execvp")         \
  X(kStepCloseFds, 7, "closeFds")     \
  X(kStepSetsid, 8, "setsid")         \
  X(kStepSetpgid, 9, "setpgid")       \
  X(kStepSetrlimit, 10, "setrlimit")  \
  X(kStepSetgroups, 11, "setgroups")  \
  X(kStepSetgid, 12, "setgid")        \
  X(kStepSetuid, 13, "setuid")        \
  X(kStepPrctl, 14, "prctl")

#endif  // PROCESS_SPAWNER_CHILD_STEPS_H_
