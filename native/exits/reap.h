// Reaping and signalling one child, exactly: by its pidfd where there is one, so that a pid that
// was reaped by someone else and given to another process can never be waited for or signalled
// in its place; by pid only where the kernel has no pidfds (before Linux 5.3).
#ifndef PROCESS_SPAWNER_EXITS_REAP_H_
#define PROCESS_SPAWNER_EXITS_REAP_H_

#include <sys/resource.h>
#include <sys/types.h>

namespace ps {

// How a child ended. `status` is a wait status in wait4's encoding, rebuilt from waitid's
// siginfo when the child was reaped through its pidfd (see wait_status_from_siginfo).
struct ExitStatus {
  pid_t pid = 0;
  int error = 0;   // errno of the reap (ECHILD: someone else reaped it); 0 when it has exited
  int status = 0;  // meaningful only when error == 0
  struct rusage rusage {};
};

enum class ReapOutcome { kReaped, kRunning, kUnsupported };

// waitid(P_PIDFD, pidfd, WEXITED | `options`) through the raw syscall, whose fifth argument gives
// the child's rusage (glibc's waitid() has none). kUnsupported before Linux 5.4. With WNOHANG in
// `options`, kRunning while the child runs. `*result` holds the status or the reap's errno.
ReapOutcome reap_pidfd(int pidfd, int options, ExitStatus* result);

// wait4(pid, WNOHANG): false while `pid` is running. For kernels without pidfds, and for the
// command's adopted descendants (children it never spawned, so it holds no pidfd for them).
bool reap_pid_if_exited(pid_t pid, ExitStatus* result);

// Reaps our child if it has exited; false while it runs. Through its pidfd (>= 0) where the kernel
// has waitid(P_PIDFD) (Linux 5.4), else wait4 on its pid.
bool reap_if_exited(pid_t pid, int pidfd, ExitStatus* result);

// The blocking form, for a child that is known to be exiting (a failed exec).
void reap_exiting_child(pid_t pid, int pidfd, ExitStatus* result);

// pidfd_open(pid), close-on-exec: only for a kernel whose clone could not return a pidfd.
// -1 where there is none, or when `pid` is no longer our unreaped child (a pidfd opened after
// someone else reaped it could name another process).
int open_pidfd_of_child(pid_t pid);

// Sends `signal` to our child. With a pidfd: pidfd_send_signal, which fails with ESRCH once the
// child has been reaped, by us or by anyone else. Without one (pidfd < 0): only while `pid` is
// still our unreaped child (waitid WNOWAIT), which a third party's waitpid(-1) followed by pid
// reuse can defeat. Returns 0 or an errno value.
int signal_child(pid_t pid, int pidfd, int signal);

// kill(-pgid, signal): the whole process group. Returns 0 or an errno value.
int kill_process_group(pid_t pgid, int signal);

// The same for a group whose leader (pid == pgid) we have reaped. The kernel keeps the number
// in use while any member has it as its group id, so a process holding the pid `pgid` again
// proves that our group emptied and the number was reused: ESRCH then, without signalling.
int kill_group_of_reaped_leader(pid_t pgid, int signal);

}  // namespace ps

#endif  // PROCESS_SPAWNER_EXITS_REAP_H_
