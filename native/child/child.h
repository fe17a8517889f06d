// The child's side of a spawn: what runs between clone/fork and exec.
//
// The rule for everything in this file. By default the child is a clone(CLONE_VM | CLONE_VFORK):
// it runs in the parent's memory while the parent thread is suspended. So, between clone and
// exec, the child:
//  - reads only what the parent built before the clone (ChildPlan: argv, an explicit envp,
//    paths, the fd plan), and never the live `environ`, which another thread may be changing;
//  - writes nothing but its own stack, errno (the suspended thread's) and the plan's fd numbers;
//  - calls only async-signal-safe functions and raw syscall()s: no malloc or new, no std::string,
//    no printf or strerror, no exceptions, no N-API, and none of glibc's cancellable wrappers
//    (write, open, close touch the thread's cancellation state): those are raw syscalls here;
//  - never enters the dynamic linker: the addon is linked -z now, so every symbol is bound at load;
//  - resets every signal handler, up to _NSIG - 1, before it unblocks signals.
// Under fork() the same path runs in a copy of one thread, where locks held by other threads stay
// locked forever: the same rule keeps it safe there too.
// Credentials are changed with raw syscalls, not glibc's setuid(): glibc broadcasts those to
// every thread it knows of, under a lock, and in the child those threads do not exist. Spawns
// that change credentials use fork, never the shared-memory clone (see spawn.cc).
#ifndef PROCESS_SPAWNER_CHILD_H_
#define PROCESS_SPAWNER_CHILD_H_

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "child/child_steps.h"

namespace ps {

// The step of the child path that failed; the parent turns it into `error.childStep`.
// The enumerators and their names come from the one list in child_steps.h.
#define PS_CHILD_STEP_ENUMERATOR(name, code, text) name = code,
enum ChildStep : int32_t { PS_CHILD_STEPS(PS_CHILD_STEP_ENUMERATOR) };
#undef PS_CHILD_STEP_ENUMERATOR
inline constexpr int32_t kChildStepCount = 0
#define PS_CHILD_STEP_COUNT(name, code, text) +1
    PS_CHILD_STEPS(PS_CHILD_STEP_COUNT);
#undef PS_CHILD_STEP_COUNT

const char* child_step_name(int32_t step);

// What the child writes to the error pipe when a step fails; EOF instead means exec succeeded.
// 8 bytes is far below PIPE_BUF, so the write is atomic.
struct ChildReport {
  int32_t error;  // errno value
  int32_t step;   // ChildStep
};

// Where one of the child's fds (0, 1, 2, ...) comes from.
struct ChildSlot {
  int source;           // the fd to dup2 into this slot; may equal the slot itself
  bool clear_nonblock;  // the file description is shared with the parent: make it blocking
};

struct ChildResourceLimit {
  int resource;  // RLIMIT_*
  struct rlimit limit;
};

// Who the child becomes: applied in the order setgroups, setgid, setuid.
struct ChildCredentials {
  bool set_groups;
  const gid_t* groups;
  size_t group_count;
  // uid or gid given without groups: drop the supplementary groups as libuv does (best effort).
  bool drop_groups;
  bool set_gid;
  gid_t gid;
  bool set_uid;
  uid_t uid;
};

// Everything the child needs, built before fork. The child may rewrite `slots[i].source` and
// `error_fd` when it moves an fd out of the way.
struct ChildPlan {
  const char* const* exec_paths;  // candidate paths, nullptr-terminated, tried in order
  char* const* argv;              // nullptr-terminated
  char* const* envp;              // nullptr-terminated, always built by the parent
  const char* cwd;                // nullptr: stay in the parent's working directory
  ChildSlot* slots;
  int slot_count;
  int error_fd;  // write end of the CLOEXEC error pipe

  bool close_other_fds;         // close every fd >= slot_count before exec
  bool reset_ignored_signals;   // SIG_IGN -> SIG_DFL too (restoreSignals); handlers always reset
  // Set by the clone (clone.h): the kernel has reset every handler already (CLONE_CLEAR_SIGHAND).
  bool handlers_cleared;
  sigset_t exec_mask;           // the signal mask the program starts with
  bool inherit_mask;            // exec_mask is the spawning thread's mask, filled in by the clone
  bool new_session;             // setsid()
  pid_t process_group;          // setpgid(0, process_group) when >= 0 (0: a new group)
  bool set_umask;
  mode_t umask;
  const ChildResourceLimit* rlimits;
  size_t rlimit_count;
  ChildCredentials credentials;
  int parent_death_signal;  // PR_SET_PDEATHSIG when > 0
  pid_t parent_pid;         // to notice a parent that died before PR_SET_PDEATHSIG took hold
};

// Runs the child path and execs; never returns. On failure it reports through plan->error_fd and
// calls _exit(127) for ENOENT/ENOTDIR or _exit(126) otherwise (the shell's convention).
[[noreturn]] void run_child(ChildPlan* plan);

}  // namespace ps

#endif  // PROCESS_SPAWNER_CHILD_H_
