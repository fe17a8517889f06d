// The SIGCHLD self-pipe: a handler that writes one byte to a pipe of each JavaScript thread that
// spawns, so that the thread's event loop wakes up when a child of the process ends.
//
// It is the wake-up the design (and the strace pages) show, and on kernels without pidfds the
// only way a thread hears that its children ended. It is never needed for correctness where
// there are pidfds: each child's pidfd, in its thread's exit watcher, says when it ended
// (exit_watcher.h). So the handler never competes for SIGCHLD:
//  - it is installed only while SIGCHLD has no handler at all (SIG_DFL or SIG_IGN); over anyone
//    else's handler (libuv's, for child_process and process.on('SIGCHLD'); another library's;
//    another version of this package) it is not installed, so it never removes anyone from the
//    chain, and never forms a cycle with a handler that chains to what it replaced;
//  - having nothing it replaced, it chains to nothing: every other handler keeps being called by
//    the kernel, or by whoever chained to it, exactly as before;
//  - it is installed without SA_NOCLDSTOP, so whoever replaces it later still hears stops and
//    continues when they ask for them.
// Copies of this addon with the same hub version (two installs of one release in a node_modules
// tree) share one handler and one list of pipes: see the rendezvous at the top of sigchld.cc.
#ifndef PROCESS_SPAWNER_EXITS_SIGCHLD_H_
#define PROCESS_SPAWNER_EXITS_SIGCHLD_H_

namespace ps {

// Creates a pipe2(O_CLOEXEC | O_NONBLOCK) and adds its write end to the handler's list (no limit
// on their number). Returns 0, with the read end (owned by the caller) and the write end (to give
// back to close_self_pipe), or an errno value.
int open_self_pipe(int* read_fd, int* write_fd);

// Removes a write end from the list, waits until no handler can still be writing to it, and
// closes it.
void close_self_pipe(int write_fd);

enum class SigchldHandler {
  kOurs,          // ours was in place already
  kInstalled,     // SIGCHLD had no handler; ours is in place now
  kSomeoneElses,  // another handler holds SIGCHLD, and keeps it
};

// Who holds SIGCHLD now: nobody (SIG_DFL or SIG_IGN), this hub's handler, or another one.
enum class SigchldHolder { kNobody, kUs, kSomeoneElse };
SigchldHolder sigchld_holder();

// Installs the handler if SIGCHLD has none (SIG_DFL, or SIG_IGN: an ignored SIGCHLD makes the
// kernel reap every child at once, ours included, and their statuses would be lost).
SigchldHandler install_sigchld_handler_if_free();

}  // namespace ps

#endif  // PROCESS_SPAWNER_EXITS_SIGCHLD_H_
