#include "sigchld.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace ps {

namespace {

// One slot per registered self-pipe (one per JavaScript thread that spawns). A slot holds the
// write end's fd + 1, so that the zero-initialized array means "no pipes" from the very start.
constexpr int kMaxPipes = 64;
std::atomic<int> g_pipe_slots[kMaxPipes];
// Handlers currently inside the write loop; close_sigchld_pipe waits for zero before closing, so
// the handler can never write into an fd number that has been closed and handed out again.
std::atomic<int> g_handlers_running{0};

// Children of threads that have gone away; see adopt_orphans().
std::mutex g_orphans_mutex;
std::vector<pid_t> g_orphans;
std::atomic<size_t> g_orphan_count{0};

// The handler that was installed before ours, called after ours. Written only while ours is not
// installed (under g_install_mutex), read only by our handler.
struct sigaction g_previous_action;
std::mutex g_install_mutex;

void on_sigchld(int signal, siginfo_t* info, void* context);

bool is_our_handler(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) != 0 && action.sa_sigaction == on_sigchld;
}

void chain_previous_handler(int signal, siginfo_t* info, void* context) {
  const struct sigaction& previous = g_previous_action;
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction != nullptr && previous.sa_sigaction != on_sigchld) {
      previous.sa_sigaction(signal, info, context);
    }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
             previous.sa_handler != nullptr) {
    previous.sa_handler(signal);
  }
}

// Async-signal-safe: atomics, write, and the previous handler. errno is saved because the
// interrupted code may be about to read it.
void on_sigchld(int signal, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  g_handlers_running.fetch_add(1);
  for (std::atomic<int>& slot : g_pipe_slots) {
    const int fd = slot.load() - 1;
    if (fd < 0) continue;
    const char byte = 0;
    // EAGAIN means the pipe is full: a wake-up is already pending, which is all we need.
    ssize_t ignored = write(fd, &byte, 1);
    (void)ignored;
  }
  g_handlers_running.fetch_sub(1);
  chain_previous_handler(signal, info, context);
  errno = saved_errno;
}

struct sigaction our_action() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigchld;
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  sigfillset(&action.sa_mask);
  return action;
}

}  // namespace

int open_sigchld_pipe(int* read_fd, int* write_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
  for (std::atomic<int>& slot : g_pipe_slots) {
    int empty = 0;
    if (slot.compare_exchange_strong(empty, fds[1] + 1)) {
      *read_fd = fds[0];
      *write_fd = fds[1];
      return 0;
    }
  }
  close(fds[0]);
  close(fds[1]);
  return EMFILE;
}

void close_sigchld_pipe(int write_fd) {
  for (std::atomic<int>& slot : g_pipe_slots) {
    int expected = write_fd + 1;
    if (slot.compare_exchange_strong(expected, 0)) break;
  }
  while (g_handlers_running.load() != 0) sched_yield();
  close(write_fd);
}

bool ensure_sigchld_handler() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  struct sigaction current;
  sigaction(SIGCHLD, nullptr, &current);
  if (is_our_handler(current)) return false;
  const struct sigaction ours = our_action();
  // Someone may swap the handler between our read and our install; loop until the handler we
  // replaced is the one we saved as the previous one.
  for (;;) {
    g_previous_action = current;
    struct sigaction replaced;
    sigaction(SIGCHLD, &ours, &replaced);
    if (is_our_handler(replaced) ||
        (replaced.sa_handler == current.sa_handler && replaced.sa_flags == current.sa_flags)) {
      return true;
    }
    current = replaced;
  }
}

bool reap_if_exited(pid_t pid, ReapResult* result) {
  memset(result, 0, sizeof *result);
  result->pid = pid;
  pid_t reaped;
  do {
    reaped = wait4(pid, &result->status, WNOHANG, &result->rusage);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == 0) return false;
  if (reaped < 0) result->error = errno;
  return true;
}

int kill_unreaped_child(pid_t pid, int signal) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  // WNOWAIT looks without reaping. ECHILD: the pid is no longer our child (reaped by someone
  // else), so it may already belong to another process.
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD ? ESRCH : errno;
  }
  return kill(pid, signal) == 0 ? 0 : errno;
}

void adopt_orphans(const pid_t* pids, size_t count) {
  if (count == 0) return;
  std::lock_guard<std::mutex> lock(g_orphans_mutex);
  g_orphans.insert(g_orphans.end(), pids, pids + count);
  g_orphan_count.store(g_orphans.size());
}

void reap_orphans() {
  if (g_orphan_count.load() == 0) return;  // the usual case: no lock, no syscall
  std::lock_guard<std::mutex> lock(g_orphans_mutex);
  std::vector<pid_t> still_running;
  for (pid_t pid : g_orphans) {
    ReapResult ignored;
    if (!reap_if_exited(pid, &ignored)) still_running.push_back(pid);
  }
  g_orphans.swap(still_running);
  g_orphan_count.store(g_orphans.size());
}

int kill_process_group(pid_t pgid, int signal) {
  return kill(-pgid, signal) == 0 ? 0 : errno;
}

}  // namespace ps
