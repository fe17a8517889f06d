// Making the child: the one place that calls clone3, clone or _Fork, and the one place that
// knows which of them this kernel (or sandbox) allows.
//
// Every child comes with a pidfd taken by the clone itself (CLONE_PIDFD, Linux 5.2): it names that
// one process from its first instant, so no third party's waitpid(-1) and pid reuse can ever make
// it name another. pidfd_open after the fact is the last resort, for kernels without CLONE_PIDFD
// (which have no pidfd_open either, so in practice: no pidfd, and reaping by pid).
//
//   method  | first try                                   | then                       | last
//   vfork   | clone3(VM|VFORK|PIDFD|CLEAR_SIGHAND) (x86-64) | clone(VM|VFORK|PIDFD)      | clone(VM|VFORK)
//   fork    | clone3(PIDFD|CLEAR_SIGHAND)                 | clone(PIDFD)               | _Fork()
//
// CLONE_CLEAR_SIGHAND (Linux 5.5) resets every handled signal to SIG_DFL in the kernel, so the
// child can skip its own sigaction loop for handlers (see child.h). A variant the kernel refuses
// (ENOSYS or EPERM: no clone3, or a seccomp filter that hides or refuses it; EINVAL: a flag it
// does not know) is remembered, and never tried again by this process.
#ifndef PROCESS_SPAWNER_PARENT_CLONE_H_
#define PROCESS_SPAWNER_PARENT_CLONE_H_

#include <sys/types.h>

#include "child/child.h"

namespace ps {

struct ClonedChild {
  pid_t pid = -1;    // -1: no child; `error` and `syscall` say why
  int pidfd = -1;    // -1 only on kernels without CLONE_PIDFD
  int error = 0;
  const char* syscall = nullptr;  // "clone3", "clone" or "fork": what made the child, or failed
  bool shared_memory = false;     // the vfork method ran (false: forked, asked for or as a fallback)
};

// Makes the child, which runs run_child(plan) and never returns, with every signal blocked in
// this thread for the duration (the child inherits that mask and lifts it just before exec).
// `plan->handlers_cleared` is set before each attempt, so the child knows whether the kernel has
// already reset its handlers. The caller owns the returned pidfd.
ClonedChild clone_child(ChildPlan* plan, bool share_memory);

}  // namespace ps

#endif  // PROCESS_SPAWNER_PARENT_CLONE_H_
