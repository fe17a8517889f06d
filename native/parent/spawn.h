// The parent's side of a spawn: prepare everything, clone (clone.h), and learn whether exec
// succeeded.
#ifndef PROCESS_SPAWNER_SPAWN_H_
#define PROCESS_SPAWNER_SPAWN_H_

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace ps {

// How one of the child's fds is provided. kPipe in slots 0-2 is a pipe2 (slot 0 read by the
// child, 1 and 2 written); in slots 3 and up it is a socketpair, usable in both directions.
// kSocketPair is a socketpair in any slot, 0-2 included (an IPC channel on the child's stdin).
enum class StdioKind { kPipe, kSocketPair, kDevNull, kInheritFd };

struct StdioSpec {
  StdioKind kind;
  int fd;  // for kInheritFd: the parent's fd to pass
};

// The request as the TypeScript layer validated it. Strings are owned here and stay alive until
// spawn_process() returns, which is after the child has exec'd or failed.
struct SpawnRequest {
  std::vector<std::string> exec_paths;  // PATH candidates, already resolved by the caller
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  bool inherit_environ = true;  // true: the child gets the process's environ as it is
  std::string cwd;
  bool has_cwd = false;
  std::vector<StdioSpec> stdio;
  int pipe_size = 0;  // F_SETPIPE_SZ for each pipe when > 0

  bool close_fds = true;
  bool restore_signals = true;
  bool has_signal_mask = false;
  sigset_t signal_mask;  // the child's mask; without it, empty (restoreSignals) or ours at spawn
  bool new_session = false;
  pid_t process_group = -1;
  bool set_umask = false;
  mode_t umask = 0;
  std::vector<std::pair<int, struct rlimit>> rlimits;
  bool set_groups = false;
  std::vector<gid_t> groups;
  bool set_gid = false;
  gid_t gid = 0;
  bool set_uid = false;
  uid_t uid = 0;
  int parent_death_signal = 0;
  // The shared-memory clone (CLONE_VM | CLONE_VFORK) instead of a copying one; the copying one all
  // the same when credentials change or the kernel has refused the shared-memory clone before.
  bool use_vfork = false;
};

// What happened. Exactly one of three cases:
//  - parent_errno != 0: a syscall in the parent failed (`parent_syscall`); no child exists.
//  - child_errno != 0: the child failed at `child_step` and has been reaped (`wait_status`).
//  - otherwise the program is running as `pid`, known by `pidfd` (-1 only on kernels without
//    CLONE_PIDFD); `parent_fds[i]` is our end of slot i's pipe (-1 for slots without a pipe),
//    O_NONBLOCK and O_CLOEXEC. The caller owns the pidfd and the pipe ends from now on.
struct SpawnOutcome {
  pid_t pid = -1;
  int pidfd = -1;
  std::vector<int> parent_fds;
  int parent_errno = 0;
  const char* parent_syscall = nullptr;
  const char* method = "fork";  // how the child was made: "vfork" (shared memory) or "fork"
  const char* clone_syscall = nullptr;  // the call that made it: "clone3", "clone" or "fork"
  int child_errno = 0;
  int child_step = 0;
  int wait_status = 0;
  struct rusage rusage {};
};

SpawnOutcome spawn_process(const SpawnRequest& request);

}  // namespace ps

#endif  // PROCESS_SPAWNER_SPAWN_H_
