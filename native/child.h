// The child's side of a spawn: what runs between fork() and exec.
//
// Async-signal-safety rule: Node is multi-threaded, and fork() copies only the calling thread.
// Any lock another thread held (malloc's, stdio's, V8's) stays locked forever in the child.
// So everything the child reads is prepared by the parent before fork (ChildPlan), and the child
// calls only async-signal-safe functions: sigaction, sigprocmask, fcntl, dup2, chdir, execve,
// write, _exit. No malloc or new, no std::string, no printf or strerror, no exceptions, no N-API.
#ifndef PROCESS_SPAWNER_CHILD_H_
#define PROCESS_SPAWNER_CHILD_H_

#include <stdint.h>

namespace ps {

// The step of the child path that failed; the parent turns it into `error.childStep`.
// Keep in sync with kChildStepNames in child.cc.
enum ChildStep : int32_t {
  kStepSigaction = 1,
  kStepSigprocmask = 2,
  kStepFcntl = 3,
  kStepDup2 = 4,
  kStepChdir = 5,
  kStepExecvp = 6,
};

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

// Everything the child needs, built before fork. The child may rewrite `slots[i].source` and
// `error_fd` when it moves an fd out of the way.
struct ChildPlan {
  const char* const* exec_paths;  // candidate paths, nullptr-terminated, tried in order
  char* const* argv;              // nullptr-terminated
  char* const* envp;              // nullptr-terminated, or nullptr to pass the current environ
  const char* cwd;                // nullptr: stay in the parent's working directory
  ChildSlot* slots;
  int slot_count;
  int error_fd;  // write end of the CLOEXEC error pipe
};

// Runs the child path and execs; never returns. On failure it reports through plan->error_fd and
// calls _exit(127) for ENOENT/ENOTDIR or _exit(126) otherwise (the shell's convention).
[[noreturn]] void run_child(ChildPlan* plan);

}  // namespace ps

#endif  // PROCESS_SPAWNER_CHILD_H_
