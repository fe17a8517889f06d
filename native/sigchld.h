// SIGCHLD: a handler that writes to self-pipes, and the per-pid reaping it wakes up.
//
// Each JavaScript thread (the main thread, each worker_thread) that spawns registers its own
// self-pipe; the handler writes one byte to every registered pipe, and each thread then reaps
// only the pids it spawned, with wait4(pid, WNOHANG). Never waitpid(-1): that would steal the
// children of child_process (libuv) and of every other library in the process.
#ifndef PROCESS_SPAWNER_SIGCHLD_H_
#define PROCESS_SPAWNER_SIGCHLD_H_

#include <sys/resource.h>
#include <sys/types.h>

namespace ps {

// Creates a pipe2(O_CLOEXEC | O_NONBLOCK) and registers its write end with the handler.
// Returns 0 and the read end (owned by the caller), or an errno value.
int open_sigchld_pipe(int* read_fd, int* write_fd);

// Unregisters a write end, waits for any handler still writing to it, and closes it.
void close_sigchld_pipe(int write_fd);

// Installs our handler if SIGCHLD currently has another one. libuv replaces SIGCHLD's handler
// without chaining and sets SIG_DFL when its last child is gone, so callers verify often.
// Returns true when it had to (re)install: exits may have been missed and a sweep is due.
bool ensure_sigchld_handler();

struct ReapResult {
  pid_t pid;
  int error;   // errno of wait4 (ECHILD: someone else reaped it); 0 when it has exited
  int status;  // raw wait status
  struct rusage rusage;
};

// wait4(pid, WNOHANG). Returns false while the child is still running.
bool reap_if_exited(pid_t pid, ReapResult* result);

// Sends `signal` to `pid` only while `pid` is still our unreaped child: a zombie keeps its pid,
// so a pid that waitid can still see cannot have been recycled. Returns 0 or an errno value.
int kill_unreaped_child(pid_t pid, int signal);

// A thread that goes away may leave children of its own running. Their pids are handed over
// here, and reap_orphans() (called by every thread's reap) reaps them as they exit, so that
// none stays a zombie.
void adopt_orphans(const pid_t* pids, size_t count);
void reap_orphans();

// kill(-pgid, signal): the whole process group. Returns 0 or an errno value.
int kill_process_group(pid_t pgid, int signal);

}  // namespace ps

#endif  // PROCESS_SPAWNER_SIGCHLD_H_
