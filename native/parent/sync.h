// A synchronous spawn: clone and exec through spawn_process(), then a poll loop on this thread
// that feeds stdin, collects the outputs, enforces the deadline and the output limit, and reaps
// the child through the pidfd its clone returned. Nothing here touches the SIGCHLD machinery or
// the thread's exit watcher: the child is never seen by the asynchronous side, and the loop never
// reaps a process it did not start.
#ifndef PROCESS_SPAWNER_SYNC_H_
#define PROCESS_SPAWNER_SYNC_H_

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "parent/spawn.h"

namespace ps {

struct SyncLimits {
  std::string input;      // written to slot 0 when it is a pipe, which is then closed
  int64_t timeout_ms = 0;  // 0: no deadline
  int kill_signal = SIGTERM;
  // After kill_signal, SIGKILL once this many ms have passed; -1: never (child_process's way).
  int64_t kill_grace_ms = -1;
  // Bytes of output allowed; past it the child is ended. As child_process does, the whole read
  // that crossed the limit is kept.
  bool has_max_buffer = false;
  uint64_t max_buffer = 0;
  bool max_buffer_per_stream = false;  // false: all outputs together, as child_process counts
  // Once we end the child: -1 closes its pipes at once (child_process); >= 0 goes on reading until
  // it is reaped, then at most this many ms more for the pipes to reach EOF.
  int64_t drain_after_kill_ms = -1;
};

// Why the loop ended the child, if it did.
enum class SyncEnd { kNone, kTimeout, kMaxBuffer };

struct SyncOutcome {
  SpawnOutcome spawn;  // a failed spawn ends everything here (see SpawnOutcome)
  std::vector<std::string> outputs;  // per slot: what was read from it
  std::vector<bool> has_output;      // per slot: whether it was a pipe we read
  SyncEnd end = SyncEnd::kNone;
  int end_slot = -1;  // for kMaxBuffer: the slot whose read crossed the limit
  // The first error of the loop itself (EPIPE writing the input, a failed read or poll),
  // with the call that failed; 0 if none.
  int io_errno = 0;
  const char* io_syscall = nullptr;
  bool reaped = false;
  int wait_status = 0;
  struct rusage rusage {};
  double duration_ms = 0;  // from just before the fork to the reap
};

// Blocks until the child has exited and every pipe of it is closed. Every fd it opens is closed
// before it returns, on every path; the child is always reaped (unless someone else reaped it
// first, with waitpid(-1): its status is then lost, and io_errno says ECHILD).
SyncOutcome spawn_sync(const SpawnRequest& request, const SyncLimits& limits);

}  // namespace ps

#endif  // PROCESS_SPAWNER_SYNC_H_
