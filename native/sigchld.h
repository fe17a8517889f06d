// SIGCHLD: one handler for the whole process that writes to self-pipes, the per-pid reaping it
// wakes up, and signalling children without ever reaching a recycled pid.
//
// Each JavaScript thread (the main thread, each worker_thread) that spawns registers its own
// self-pipe; the handler writes one byte to every registered pipe, and each thread then reaps
// only the pids it spawned, with wait4(pid, WNOHANG). Never waitpid(-1): that would steal the
// children of child_process (libuv) and of every other library in the process.
//
// Every copy of this addon loaded in the process (two versions of the package in one
// node_modules tree load two .node files) shares the same handler and the same pipe list: see
// the rendezvous described at the top of sigchld.cc.
#ifndef PROCESS_SPAWNER_SIGCHLD_H_
#define PROCESS_SPAWNER_SIGCHLD_H_

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

namespace ps {

// Creates a pipe2(O_CLOEXEC | O_NONBLOCK) and registers its write end with the handler.
// Returns 0 and the read end (owned by the caller), or an errno value.
int open_sigchld_pipe(int* read_fd, int* write_fd);

// Unregisters a write end, waits for any handler still writing to it, and closes it.
void close_sigchld_pipe(int write_fd);

// Installs the process's handler if SIGCHLD currently has another one. libuv replaces SIGCHLD's
// handler without chaining and sets SIG_DFL when its last child is gone, so callers verify often.
// Returns true when it had to (re)install: exits may have been missed and a sweep is due.
bool ensure_sigchld_handler();

struct ReapResult {
  pid_t pid;
  int error;   // errno of wait4 (ECHILD: someone else reaped it); 0 when it has exited
  int status;  // raw wait status
  struct rusage rusage;
};

// Reaps `pid` if it has exited; returns false while it is still running. With its pidfd (>= 0)
// through waitid(P_PIDFD, WNOHANG) (Linux 5.4+), which can only ever reap that very process: if
// someone else reaped our child and its pid went to another child of ours (child_process's, say),
// that one is left alone and the result is ECHILD. Otherwise, and on older kernels,
// wait4(pid, WNOHANG). The status is the raw wait status either way.
bool reap_if_exited(pid_t pid, int pidfd, ReapResult* result);

// A pidfd (always close-on-exec) for a child just spawned, or -1 where the kernel has no
// pidfd_open (before Linux 5.3) or the pid is no longer our unreaped child. Held until the reap:
// it names that one process, so a signal sent through it can never reach a recycled pid.
int open_child_pidfd(pid_t pid);

// Sends `signal` to our child. With a pidfd: pidfd_send_signal, which fails with ESRCH once the
// child has been reaped, by us or by anyone else. Without one (pidfd < 0): only while `pid` is
// still our unreaped child (waitid WNOWAIT), which a third party's waitpid(-1) followed by pid
// reuse can defeat. Returns 0 or an errno value.
int signal_child(pid_t pid, int pidfd, int signal);

// A thread that goes away may leave children of its own running. They are handed over here
// with their pidfds (or -1), and reaped by a helper thread of this addon as they exit, so none
// stays a zombie whatever JavaScript thread is left, and whoever holds SIGCHLD's handler.
struct Orphan {
  pid_t pid;
  int pidfd;
};
void adopt_orphans(const Orphan* orphans, size_t count);
// Reaps the orphans that have exited; also called by every thread's reap.
void reap_orphans();

// kill(-pgid, signal): the whole process group. Returns 0 or an errno value.
int kill_process_group(pid_t pgid, int signal);

// The same for a group whose leader (pid == pgid) we have reaped. The kernel keeps the number
// in use while any member has it as its group id, so a process holding the pid `pgid` again
// proves that our group emptied and the number was reused: ESRCH then, without signalling.
int kill_group_of_reaped_leader(pid_t pgid, int signal);

}  // namespace ps

#endif  // PROCESS_SPAWNER_SIGCHLD_H_
