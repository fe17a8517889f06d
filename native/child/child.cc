// The async-signal-safe child path (see child.h for the rule). Each step is one short function
// that returns 0 or an errno value; run_child() reports the first failure and exits.
#include "child/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ps {

namespace {

#define PS_CHILD_STEP_NAME(name, code, text) text,
const char* const kChildStepNames[] = {PS_CHILD_STEPS(PS_CHILD_STEP_NAME)};
#undef PS_CHILD_STEP_NAME
static_assert(sizeof kChildStepNames / sizeof kChildStepNames[0] == kChildStepCount);

// The names are indexed by code, so the codes must run 0, 1, 2, ... in the list's order.
constexpr bool child_step_codes_are_indexes() {
  int32_t index = 0;
#define PS_CHILD_STEP_CHECK(name, code, text) \
  if (code != index++) return false;
  PS_CHILD_STEPS(PS_CHILD_STEP_CHECK)
#undef PS_CHILD_STEP_CHECK
  return true;
}
static_assert(child_step_codes_are_indexes());

[[noreturn]] void report_and_exit(const ChildPlan* plan, ChildStep step, int error) {
  ChildReport report{error, step};
  long written;
  do {
    // Raw write: glibc's write() is a cancellation point that touches the thread's cancellation
    // state, which under CLONE_VM is the suspended parent thread's.
    written = syscall(SYS_write, plan->error_fd, &report, sizeof report);
  } while (written < 0 && errno == EINTR);
  // If the write failed there is nobody to tell; the exit status still says what kind of failure.
  syscall(SYS_exit_group, error == ENOENT || error == ENOTDIR ? 127 : 126);
  __builtin_unreachable();
}

// Node installs handlers and ignores SIGPIPE. exec resets handlers but keeps SIG_IGN, and a
// handler could run in this child (on the parent's memory, under CLONE_VM) if a signal lands
// before exec, so every disposition up to _NSIG - 1 goes back to SIG_DFL while all signals are
// still blocked. Real-time signals 34 and up can carry anyone's handler; only 32 and 33 are
// glibc's own, and its sigaction refuses them (EINVAL), so they are skipped.
// With restoreSignals off, ignored signals stay ignored; handlers are reset all the same, unless
// the clone had CLONE_CLEAR_SIGHAND, which has reset them in the kernel already (and kept
// ignored signals ignored): then there is nothing left to do. With restoreSignals on, the
// ignored ones must go back to SIG_DFL too, and only asking each signal would tell which they
// are: writing SIG_DFL to every one costs the same.
int reset_signal_dispositions(bool reset_ignored, bool handlers_cleared) {
  static const struct sigaction kDefault = {};  // sa_handler == SIG_DFL, empty mask, no flags
  if (handlers_cleared && !reset_ignored) return 0;
  for (int sig = 1; sig < _NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (!reset_ignored) {
      struct sigaction current;
      if (sigaction(sig, nullptr, &current) != 0) {
        if (errno == EINVAL) continue;  // 32 and 33: glibc's own, never anyone's handler
        return errno;
      }
      if (current.sa_handler == SIG_IGN || current.sa_handler == SIG_DFL) continue;
    }
    if (sigaction(sig, &kDefault, nullptr) != 0 && errno != EINVAL) return errno;
  }
  return 0;
}

// A later dup2 into slot i would close whatever fd i is now. Any source that sits inside the
// slot range, other than in its own slot, is first copied above the range (libuv does the same),
// and so is the error pipe. F_DUPFD_CLOEXEC keeps the copies from leaking into the program.
int move_fds_out_of_slot_range(ChildPlan* plan) {
  const int n = plan->slot_count;
  for (int i = 0; i < n; i++) {
    int source = plan->slots[i].source;
    if (source >= n || source == i) continue;
    int moved = fcntl(source, F_DUPFD_CLOEXEC, n);
    if (moved < 0) return errno;
    plan->slots[i].source = moved;
  }
  if (plan->error_fd < n) {
    int moved = fcntl(plan->error_fd, F_DUPFD_CLOEXEC, n);
    if (moved < 0) return errno;
    plan->error_fd = moved;
  }
  return 0;
}

// dup2 clears FD_CLOEXEC on its target, but dup2(fd, fd) does nothing at all, so a slot whose
// source is already in place has the flag cleared by hand.
int install_slot(int slot, const ChildSlot& plan_slot) {
  if (plan_slot.source == slot) {
    if (fcntl(slot, F_SETFD, 0) != 0) return errno;
  } else {
    int result;
    do {
      result = dup2(plan_slot.source, slot);
    } while (result < 0 && errno == EINTR);
    if (result < 0) return errno;
  }
  return 0;
}

// O_NONBLOCK lives on the open file description, which an inherited fd shares with the parent;
// most programs expect blocking stdio. Our own pipes are created blocking on the child's end, so
// the parent only asks for this on inherited fds.
int make_blocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return errno;
  if ((flags & O_NONBLOCK) == 0) return 0;
  return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 ? 0 : errno;
}

// Reads a decimal fd number from a /proc/self/fd entry name; -1 for "." and "..".
int parse_fd_name(const char* name) {
  if (*name < '0' || *name > '9') return -1;
  int fd = 0;
  for (; *name >= '0' && *name <= '9'; name++) fd = fd * 10 + (*name - '0');
  return fd;
}

// Fallback for kernels before close_range (5.9): the fds that are really open, read from
// /proc/self/fd with raw getdents64 (opendir would malloc), as CPython does.
int close_fds_listed_in_proc(int first, int keep) {
  int dir = static_cast<int>(
      syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir < 0) return errno;
  alignas(8) char buffer[2048];
  for (;;) {
    long length = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
    if (length <= 0) break;
    for (long offset = 0; offset < length;) {
      // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[].
      const char* entry = buffer + offset;
      unsigned short record_length;
      __builtin_memcpy(&record_length, entry + 16, sizeof record_length);
      int fd = parse_fd_name(entry + 19);
      if (fd >= first && fd != keep && fd != dir) syscall(SYS_close, fd);
      offset += record_length;
    }
  }
  syscall(SYS_close, dir);
  return 0;
}

// Last resort, without /proc: every fd number up to the limit.
int close_fds_up_to_limit(int first, int keep) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return errno;
  const rlim_t last = limit.rlim_cur == RLIM_INFINITY ? 65536 : limit.rlim_cur;
  for (rlim_t fd = static_cast<rlim_t>(first); fd < last; fd++) {
    if (static_cast<int>(fd) != keep) syscall(SYS_close, static_cast<int>(fd));
  }
  return 0;
}

// closeFds: nothing of the parent's reaches the program beyond its slots, whether or not it
// was opened with O_CLOEXEC. `keep` is the error pipe, which must live until exec.
int close_other_fds(int first, int keep) {
#ifdef SYS_close_range
  bool ok = keep <= first || syscall(SYS_close_range, first, keep - 1, 0) == 0;
  if (ok) ok = syscall(SYS_close_range, keep + 1, ~0U, 0) == 0;
  if (ok) return 0;
  if (errno != ENOSYS) return errno;
#endif
  return close_fds_listed_in_proc(first, keep) == 0 ? 0 : close_fds_up_to_limit(first, keep);
}

int apply_rlimits(const ChildPlan* plan) {
  for (size_t i = 0; i < plan->rlimit_count; i++) {
    const ChildResourceLimit& entry = plan->rlimits[i];
    if (setrlimit(static_cast<__rlimit_resource_t>(entry.resource), &entry.limit) != 0) return errno;
  }
  return 0;
}

// Raw syscalls: see child.h. Returns 0 or an errno value, with *step set to the failing call.
int apply_credentials(const ChildCredentials& credentials, ChildStep* step) {
  *step = kStepSetgroups;
  if (credentials.set_groups &&
      syscall(SYS_setgroups, credentials.group_count, credentials.groups) != 0) {
    return errno;
  }
  // Best effort, as libuv: an unprivileged caller that only restates its own ids may not drop.
  if (credentials.drop_groups && syscall(SYS_setgroups, 0, nullptr) != 0 && errno != EPERM) {
    return errno;
  }
  *step = kStepSetgid;
  if (credentials.set_gid && syscall(SYS_setgid, credentials.gid) != 0) return errno;
  *step = kStepSetuid;
  if (credentials.set_uid && syscall(SYS_setuid, credentials.uid) != 0) return errno;
  return 0;
}

// After the credentials, since changing them clears the setting. If the parent died before the
// setting took hold, nobody will send the signal: the child sends it to itself (it is delivered
// when the mask is lifted, with its default disposition).
int set_parent_death_signal(const ChildPlan* plan) {
  if (prctl(PR_SET_PDEATHSIG, plan->parent_death_signal) != 0) return errno;
  if (getppid() != plan->parent_pid) kill(getpid(), plan->parent_death_signal);
  return 0;
}

// The PATH search of execvp, over candidates the parent built from the `env` option's PATH.
// Like glibc's execvpe: a candidate that is missing, stale or unreachable (ENOENT, ENOTDIR,
// ESTALE, ENODEV, ETIMEDOUT) moves on to the next one, EACCES is remembered and reported if
// nothing else works, any other error stops the search. Unlike glibc, ENOEXEC is reported rather
// than retried through /bin/sh, so a file without a #! line is an error.
bool is_skipped_candidate(int error) {
  return error == ENOENT || error == ENOTDIR || error == ESTALE || error == ENODEV || error == ETIMEDOUT;
}

int exec_first_candidate(const ChildPlan* plan) {
  char* const* envp = plan->envp;
  bool saw_eacces = false;
  int last_error = ENOENT;
  for (const char* const* path = plan->exec_paths; *path != nullptr; path++) {
    execve(*path, plan->argv, envp);
    last_error = errno;
    if (last_error == EACCES) {
      saw_eacces = true;
    } else if (!is_skipped_candidate(last_error)) {
      return last_error;
    }
  }
  return saw_eacces ? EACCES : last_error;
}

void install_stdio(ChildPlan* plan) {
  int error;
  if ((error = move_fds_out_of_slot_range(plan)) != 0) report_and_exit(plan, kStepFcntl, error);
  for (int i = 0; i < plan->slot_count; i++) {
    if ((error = install_slot(i, plan->slots[i])) != 0) report_and_exit(plan, kStepDup2, error);
    if (plan->slots[i].clear_nonblock && (error = make_blocking(i)) != 0) {
      report_and_exit(plan, kStepFcntl, error);
    }
  }
  if (plan->close_other_fds && (error = close_other_fds(plan->slot_count, plan->error_fd)) != 0) {
    report_and_exit(plan, kStepCloseFds, error);
  }
}

// Session and group first: setsid fails for a group leader, and the credentials may forbid both.
void apply_process_settings(ChildPlan* plan) {
  int error;
  if (plan->cwd != nullptr && chdir(plan->cwd) != 0) report_and_exit(plan, kStepChdir, errno);
  if (plan->set_umask) umask(plan->umask);
  if (plan->new_session && setsid() < 0) report_and_exit(plan, kStepSetsid, errno);
  if (plan->process_group >= 0 && setpgid(0, plan->process_group) != 0) {
    report_and_exit(plan, kStepSetpgid, errno);
  }
  // Before the credentials: raising a hard limit needs the privileges setuid may give up.
  if ((error = apply_rlimits(plan)) != 0) report_and_exit(plan, kStepSetrlimit, error);
  ChildStep step;
  if ((error = apply_credentials(plan->credentials, &step)) != 0) report_and_exit(plan, step, error);
  if (plan->parent_death_signal > 0 && (error = set_parent_death_signal(plan)) != 0) {
    report_and_exit(plan, kStepPrctl, error);
  }
}

}  // namespace

const char* child_step_name(int32_t step) {
  return step > 0 && step < kChildStepCount ? kChildStepNames[step] : kChildStepNames[0];
}

void run_child(ChildPlan* plan) {
  int error;
  if ((error = reset_signal_dispositions(plan->reset_ignored_signals, plan->handlers_cleared)) != 0) {
    report_and_exit(plan, kStepSigaction, error);
  }
  install_stdio(plan);
  apply_process_settings(plan);
  // Last, so that no signal is delivered to this child before its handlers are all default.
  if (sigprocmask(SIG_SETMASK, &plan->exec_mask, nullptr) != 0) {
    report_and_exit(plan, kStepSigprocmask, errno);
  }
  report_and_exit(plan, kStepExecvp, exec_first_candidate(plan));
}

}  // namespace ps
