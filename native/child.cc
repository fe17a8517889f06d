// The async-signal-safe child path (see child.h for the rule). Each step is one short function
// that returns 0 or an errno value; run_child() reports the first failure and exits.
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

extern char** environ;

namespace ps {

namespace {

const char* const kChildStepNames[] = {
    "unknown", "sigaction", "sigprocmask", "fcntl", "dup2", "chdir", "execvp",
};

[[noreturn]] void report_and_exit(const ChildPlan* plan, ChildStep step, int error) {
  ChildReport report{error, step};
  ssize_t written;
  do {
    written = write(plan->error_fd, &report, sizeof report);
  } while (written < 0 && errno == EINTR);
  // If the write failed there is nobody to tell; the exit status still says what kind of failure.
  _exit(error == ENOENT || error == ENOTDIR ? 127 : 126);
}

// Node installs handlers and ignores SIGPIPE. exec resets handlers but keeps SIG_IGN, and a
// handler could run in this child if a signal lands before exec, so every disposition goes back to
// SIG_DFL while all signals are still blocked. Real-time signals above 31 belong to glibc.
int reset_signal_dispositions() {
  static const struct sigaction kDefault = {};  // sa_handler == SIG_DFL, empty mask, no flags
  for (int sig = 1; sig < 32; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &kDefault, nullptr) != 0) return errno;
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

int unblock_all_signals() {
  sigset_t empty;
  sigemptyset(&empty);
  return sigprocmask(SIG_SETMASK, &empty, nullptr) == 0 ? 0 : errno;
}

// The PATH search of execvp, over candidates the parent built from the `env` option's PATH.
// Like glibc: ENOENT and ENOTDIR move on to the next candidate, EACCES is remembered and
// reported if nothing else works, any other error stops the search. Unlike glibc, ENOEXEC is
// reported rather than retried through /bin/sh, so a file without a #! line is an error.
int exec_first_candidate(const ChildPlan* plan) {
  char* const* envp = plan->envp != nullptr ? plan->envp : environ;
  bool saw_eacces = false;
  int last_error = ENOENT;
  for (const char* const* path = plan->exec_paths; *path != nullptr; path++) {
    execve(*path, plan->argv, envp);
    last_error = errno;
    if (last_error == EACCES) {
      saw_eacces = true;
    } else if (last_error != ENOENT && last_error != ENOTDIR) {
      return last_error;
    }
  }
  return saw_eacces ? EACCES : last_error;
}

}  // namespace

const char* child_step_name(int32_t step) {
  const int32_t count = sizeof kChildStepNames / sizeof kChildStepNames[0];
  return step > 0 && step < count ? kChildStepNames[step] : kChildStepNames[0];
}

void run_child(ChildPlan* plan) {
  int error;
  if ((error = reset_signal_dispositions()) != 0) report_and_exit(plan, kStepSigaction, error);
  if ((error = move_fds_out_of_slot_range(plan)) != 0) report_and_exit(plan, kStepFcntl, error);
  for (int i = 0; i < plan->slot_count; i++) {
    if ((error = install_slot(i, plan->slots[i])) != 0) report_and_exit(plan, kStepDup2, error);
    if (plan->slots[i].clear_nonblock && (error = make_blocking(i)) != 0) {
      report_and_exit(plan, kStepFcntl, error);
    }
  }
  if (plan->cwd != nullptr && chdir(plan->cwd) != 0) report_and_exit(plan, kStepChdir, errno);
  // Last, so that no signal is delivered to this child before its handlers are all default.
  if ((error = unblock_all_signals()) != 0) report_and_exit(plan, kStepSigprocmask, error);
  report_and_exit(plan, kStepExecvp, exec_first_candidate(plan));
}

}  // namespace ps
