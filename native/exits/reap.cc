#include "exits/reap.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ps {

namespace {

constexpr int kIdTypePidfd = 3;  // P_PIDFD, which glibc 2.36's headers do not all define

// waitid reports how a child ended in siginfo, not as a wait status. This is the status wait4
// would have returned: the exit code in bits 8-15; or the signal in bits 0-6, with 0x80 when a
// core was dumped.
int wait_status_from_siginfo(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED:
      return (info.si_status & 0xff) << 8;
    case CLD_KILLED:
      return info.si_status & 0x7f;
    case CLD_DUMPED:
      return (info.si_status & 0x7f) | 0x80;
    default:
      return 0;
  }
}

// WNOWAIT looks without reaping: success means `pid` is still a child of ours, exited or not.
bool is_unreaped_child(pid_t pid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

}  // namespace

ReapOutcome reap_pidfd(int pidfd, int options, ExitStatus* result) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  long done;
  do {
    done = syscall(SYS_waitid, kIdTypePidfd, pidfd, &info, WEXITED | options, &result->rusage);
  } while (done < 0 && errno == EINTR);
  if (done < 0) {
    if (errno == EINVAL) return ReapOutcome::kUnsupported;  // before Linux 5.4
    result->error = errno;
    return ReapOutcome::kReaped;
  }
  if (info.si_pid == 0) return ReapOutcome::kRunning;  // WNOHANG, still running
  result->error = 0;
  result->status = wait_status_from_siginfo(info);
  return ReapOutcome::kReaped;
}

bool reap_pid_if_exited(pid_t pid, ExitStatus* result) {
  result->pid = pid;
  pid_t reaped;
  do {
    reaped = wait4(pid, &result->status, WNOHANG, &result->rusage);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == 0) return false;
  result->error = reaped < 0 ? errno : 0;
  return true;
}

bool reap_if_exited(pid_t pid, int pidfd, ExitStatus* result) {
  result->pid = pid;
  if (pidfd >= 0) {
    const ReapOutcome outcome = reap_pidfd(pidfd, WNOHANG, result);
    if (outcome != ReapOutcome::kUnsupported) return outcome == ReapOutcome::kReaped;
  }
  return reap_pid_if_exited(pid, result);
}

void reap_exiting_child(pid_t pid, int pidfd, ExitStatus* result) {
  result->pid = pid;
  if (pidfd >= 0 && reap_pidfd(pidfd, 0, result) != ReapOutcome::kUnsupported) return;
  pid_t reaped;
  do {
    reaped = wait4(pid, &result->status, 0, &result->rusage);
  } while (reaped < 0 && errno == EINTR);
  result->error = reaped < 0 ? errno : 0;
}

int open_pidfd_of_child(pid_t pid) {
#ifdef SYS_pidfd_open
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // O_CLOEXEC is implied
  if (pidfd < 0) return -1;
  // The pidfd names whoever held `pid` at pidfd_open. Had a third party reaped our child before
  // that and the pid been reused, the pid would no longer be our unreaped child now.
  if (!is_unreaped_child(pid)) {
    close(pidfd);
    return -1;
  }
  return pidfd;
#else
  (void)pid;
  return -1;
#endif
}

int signal_child(pid_t pid, int pidfd, int signal) {
#ifdef SYS_pidfd_send_signal
  if (pidfd >= 0) return syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0 ? 0 : errno;
#else
  (void)pidfd;
#endif
  // ECHILD: the pid is no longer our child (reaped by someone else): it may be another process.
  if (!is_unreaped_child(pid)) return ESRCH;
  return kill(pid, signal) == 0 ? 0 : errno;
}

int kill_process_group(pid_t pgid, int signal) {
  return kill(-pgid, signal) == 0 ? 0 : errno;
}

int kill_group_of_reaped_leader(pid_t pgid, int signal) {
  if (kill(pgid, 0) == 0 || errno == EPERM) return ESRCH;
  return kill_process_group(pgid, signal);
}

}  // namespace ps
