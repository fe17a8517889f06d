// One SIGCHLD handler for the whole process, whatever number of copies of this addon it loads.
//
// Two copies (two versions of the package in one node_modules tree) used to install each its
// own handler, each chaining to "the previous one": installing A, B, A made A and B call each
// other until the stack overflowed. Now:
//
// * Rendezvous. The state the handler uses (the self-pipe list, the saved previous handler, the
//   install lock) lives in a SigchldHub. Each copy exports one symbol and nothing else,
//   `process_spawner_sigchld_hub_v1`, which returns the hub that copy uses. When a copy is
//   loaded its constructor walks the objects already loaded (dl_iterate_phdr), looks the symbol
//   up in each (dlopen RTLD_NOLOAD + dlsym: the copies are loaded RTLD_LOCAL, so a global lookup
//   would not see them) and adopts the first hub it finds; the first copy keeps its own. glibc
//   runs constructors from dlopen with its loader lock held, so two copies loaded by two threads
//   at once still elect one hub. Every copy then installs the hub's handler (one function), so
//   "is the handler ours?" has one answer in the whole process and the copies never replace
//   each other. The v1 layout below is frozen: a layout change needs a new symbol name.
//
// * A chain that provably ends. The handler calls the handler it replaced (so that
//   process.on('SIGCHLD') and other libraries keep hearing exits), never itself, and a handler
//   that re-enters on the same thread returns at once: the handler runs with every signal
//   blocked, so re-entry can only come from a cycle of chaining handlers (a copy with another
//   hub version, or any library that chains to what it replaced). Each thread inside the handler
//   holds a slot with its tid; finding its tid already there means "cycle", and it returns.
//
// The addon is linked -z nodelete, so a copy's handler and hub stay mapped after the last
// thread that loaded it has gone (a worker_thread that ends unloads what it loaded).
#include "sigchld.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace ps {

namespace {

constexpr uint64_t kHubMagic = 0x7073736967636864ULL;  // "pssigchd"
constexpr uint32_t kHubVersion = 1;
constexpr int kMaxPipes = 64;
constexpr int kMaxThreadsInHandler = 64;

using SigactionFunction = void (*)(int, siginfo_t*, void*);
using HandlerFunction = void (*)(int);

// The handler that was installed before ours: SA_SIGINFO's three-argument form or the plain one.
struct PreviousHandler {
  int flags;
  SigactionFunction sigaction_function;
  HandlerFunction handler_function;
};

// Process-wide: shared by every copy of the addon (v1 layout, frozen; see the top of the file).
struct SigchldHub {
  uint64_t magic;
  uint32_t version;
  uint32_t size;
  // The one handler of the process: the first copy's on_sigchld.
  SigactionFunction handler;
  // Serializes installs and pipe registration across copies.
  pthread_mutex_t install_mutex;
  // Handlers currently running (from entry to after the chained call). Writers wait for zero
  // before reusing a slot or closing an fd a running handler may still use.
  std::atomic<int> handlers_running;
  // Two slots, so that a new previous handler is written where no running handler reads:
  // previous[previous_index] is the live one.
  std::atomic<int> previous_index;
  PreviousHandler previous[2];
  // Threads inside the handler, by tid (0 = free): how a re-entry on the same thread is seen.
  std::atomic<pid_t> threads_in_handler[kMaxThreadsInHandler];
  // One slot per registered self-pipe: the write end's fd + 1, so that zero means "free".
  std::atomic<int> pipe_slots[kMaxPipes];
};

void on_sigchld(int signal, siginfo_t* info, void* context);

// Constant-initialized: ready before any constructor runs.
SigchldHub g_own_hub = {kHubMagic, kHubVersion, sizeof(SigchldHub), on_sigchld, PTHREAD_MUTEX_INITIALIZER,
                        {0}, {0}, {}, {}, {}};
// The hub this copy uses: its own, or the one an earlier copy published.
SigchldHub* g_hub = &g_own_hub;

class HubLock {
 public:
  HubLock() { pthread_mutex_lock(&g_hub->install_mutex); }
  ~HubLock() { pthread_mutex_unlock(&g_hub->install_mutex); }
  HubLock(const HubLock&) = delete;
  HubLock& operator=(const HubLock&) = delete;
};

void wait_for_running_handlers() {
  while (g_hub->handlers_running.load() != 0) sched_yield();
}

// Claims a slot for this thread; returns -1 when the thread is already inside the handler
// (a chaining cycle) or, which cannot happen with fewer than 64 threads, no slot is free.
int enter_handler(SigchldHub* hub, pid_t tid) {
  for (std::atomic<pid_t>& slot : hub->threads_in_handler) {
    if (slot.load() == tid) return -1;
  }
  for (int i = 0; i < kMaxThreadsInHandler; i++) {
    pid_t free_slot = 0;
    if (hub->threads_in_handler[i].compare_exchange_strong(free_slot, tid)) return i;
  }
  return -1;
}

void call_previous_handler(const PreviousHandler& previous, int signal, siginfo_t* info, void* context) {
  if (previous.flags & SA_SIGINFO) {
    if (previous.sigaction_function != nullptr) previous.sigaction_function(signal, info, context);
  } else if (previous.handler_function != SIG_DFL && previous.handler_function != SIG_IGN &&
             previous.handler_function != nullptr) {
    previous.handler_function(signal);
  }
}

// Async-signal-safe: atomics, gettid, write, and the previous handler. errno is saved because
// the interrupted code may be about to read it.
void on_sigchld(int signal, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  SigchldHub* hub = g_hub;
  const int slot = enter_handler(hub, static_cast<pid_t>(syscall(SYS_gettid)));
  if (slot < 0) {
    errno = saved_errno;
    return;
  }
  hub->handlers_running.fetch_add(1);
  for (std::atomic<int>& pipe_slot : hub->pipe_slots) {
    const int fd = pipe_slot.load() - 1;
    if (fd < 0) continue;
    const char byte = 0;
    // EAGAIN means the pipe is full: a wake-up is already pending, which is all we need.
    ssize_t ignored = write(fd, &byte, 1);
    (void)ignored;
  }
  call_previous_handler(hub->previous[hub->previous_index.load()], signal, info, context);
  hub->handlers_running.fetch_sub(1);
  hub->threads_in_handler[slot].store(0);
  errno = saved_errno;
}

bool is_process_handler(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) != 0 && action.sa_sigaction == g_hub->handler;
}

// Called with the hub locked, while the process handler is not installed.
void save_previous_handler(const struct sigaction& action) {
  const int next = 1 - g_hub->previous_index.load();
  // A handler that started before the last switch may still read previous[next].
  wait_for_running_handlers();
  PreviousHandler& previous = g_hub->previous[next];
  previous.flags = action.sa_flags;
  previous.sigaction_function = (action.sa_flags & SA_SIGINFO) ? action.sa_sigaction : nullptr;
  previous.handler_function = (action.sa_flags & SA_SIGINFO) ? nullptr : action.sa_handler;
  g_hub->previous_index.store(next);
}

struct sigaction process_action() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = g_hub->handler;
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  sigfillset(&action.sa_mask);
  return action;
}

// The hub a loaded object publishes, if it is another copy of this addon.
SigchldHub* hub_published_by(const char* path) {
  void* object = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (object == nullptr) return nullptr;
  SigchldHub* hub = nullptr;
  void* symbol = dlsym(object, "process_spawner_sigchld_hub_v1");
  if (symbol != nullptr) hub = static_cast<SigchldHub*>(reinterpret_cast<void* (*)()>(symbol)());
  dlclose(object);
  if (hub == nullptr || hub->magic != kHubMagic || hub->version != kHubVersion || hub->size != sizeof(SigchldHub)) {
    return nullptr;
  }
  return hub;
}

int collect_object_path(struct dl_phdr_info* info, size_t, void* paths) {
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') {
    static_cast<std::vector<std::string>*>(paths)->emplace_back(info->dlpi_name);
  }
  return 0;
}

// Runs when this copy is loaded (under the loader's lock): adopts an earlier copy's hub.
__attribute__((constructor)) void join_process_hub() {
  Dl_info self;
  const char* own_path = "";
  if (dladdr(reinterpret_cast<void*>(on_sigchld), &self) != 0 && self.dli_fname != nullptr) own_path = self.dli_fname;
  std::vector<std::string> paths;
  dl_iterate_phdr(collect_object_path, &paths);
  for (const std::string& path : paths) {
    if (path == own_path) continue;
    SigchldHub* hub = hub_published_by(path.c_str());
    if (hub != nullptr && hub != &g_own_hub) {
      g_hub = hub;
      return;
    }
  }
}

}  // namespace

int open_sigchld_pipe(int* read_fd, int* write_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
  for (std::atomic<int>& slot : g_hub->pipe_slots) {
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
  for (std::atomic<int>& slot : g_hub->pipe_slots) {
    int expected = write_fd + 1;
    if (slot.compare_exchange_strong(expected, 0)) break;
  }
  wait_for_running_handlers();
  close(write_fd);
}

bool ensure_sigchld_handler() {
  HubLock lock;
  struct sigaction current;
  sigaction(SIGCHLD, nullptr, &current);
  if (is_process_handler(current)) return false;
  const struct sigaction ours = process_action();
  // Someone may swap the handler between our read and our install; loop until the handler we
  // replaced is the one we saved as the previous one.
  for (;;) {
    save_previous_handler(current);
    struct sigaction replaced;
    sigaction(SIGCHLD, &ours, &replaced);
    if (is_process_handler(replaced) ||
        (replaced.sa_handler == current.sa_handler && replaced.sa_flags == current.sa_flags)) {
      return true;
    }
    current = replaced;
  }
}

namespace {

constexpr int kIdTypePidfd = 3;  // P_PIDFD, which glibc 2.36's headers do not all define

// The wait status wait4 would have returned, rebuilt from waitid's siginfo: exit code in bits
// 8-15; or the signal in bits 0-6, with 0x80 when a core was dumped.
int wait_status_from(const siginfo_t& info) {
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

enum class PidfdReap { kReaped, kRunning, kUnsupported };

// The raw syscall: it takes a fifth argument, the rusage, that glibc's waitid() does not pass.
PidfdReap reap_through_pidfd(int pidfd, ReapResult* result) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  long done;
  do {
    done = syscall(SYS_waitid, kIdTypePidfd, pidfd, &info, WEXITED | WNOHANG, &result->rusage);
  } while (done < 0 && errno == EINTR);
  if (done < 0) {
    if (errno == EINVAL) return PidfdReap::kUnsupported;  // before Linux 5.4
    result->error = errno;
    return PidfdReap::kReaped;
  }
  if (info.si_pid == 0) return PidfdReap::kRunning;
  result->status = wait_status_from(info);
  return PidfdReap::kReaped;
}

}  // namespace

bool reap_if_exited(pid_t pid, int pidfd, ReapResult* result) {
  memset(result, 0, sizeof *result);
  result->pid = pid;
  if (pidfd >= 0) {
    const PidfdReap outcome = reap_through_pidfd(pidfd, result);
    if (outcome != PidfdReap::kUnsupported) return outcome == PidfdReap::kReaped;
  }
  pid_t reaped;
  do {
    reaped = wait4(pid, &result->status, WNOHANG, &result->rusage);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == 0) return false;
  if (reaped < 0) result->error = errno;
  return true;
}

// WNOWAIT looks without reaping: success means `pid` is still a child of ours, exited or not.
static bool is_unreaped_child(pid_t pid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

int open_child_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // O_CLOEXEC is implied
  if (pidfd < 0) return -1;
  // The pidfd names whoever held `pid` at pidfd_open. Had a third party reaped our child before
  // that (waitpid(-1) in another thread) and the pid been reused, the pid would no longer be
  // our unreaped child now.
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

namespace {

// Children of threads that have gone away, and the helper thread that reaps them.
std::mutex g_orphans_mutex;
std::vector<Orphan> g_orphans;
std::atomic<size_t> g_orphan_count{0};
bool g_orphan_reaper_running = false;  // under g_orphans_mutex

// The longest an orphan's exit can wait for its reap when no pidfd wakes the helper.
constexpr int kOrphanPollMs = 100;

// Under g_orphans_mutex.
void reap_exited_orphans_locked() {
  std::vector<Orphan> still_running;
  for (const Orphan& orphan : g_orphans) {
    ReapResult ignored;
    if (!reap_if_exited(orphan.pid, orphan.pidfd, &ignored)) {
      still_running.push_back(orphan);
    } else if (orphan.pidfd >= 0) {
      close(orphan.pidfd);
    }
  }
  g_orphans.swap(still_running);
  g_orphan_count.store(g_orphans.size());
}

// Waits on the orphans' pidfds (readable when the process exits), or the poll interval where
// there are none, reaps, and ends once no orphan is left. It does not depend on SIGCHLD, which
// child_process may have taken over, nor on any JavaScript thread.
void* orphan_reaper_main(void*) {
  for (;;) {
    std::vector<struct pollfd> watched;
    {
      std::lock_guard<std::mutex> lock(g_orphans_mutex);
      reap_exited_orphans_locked();
      if (g_orphans.empty()) {
        g_orphan_reaper_running = false;
        return nullptr;
      }
      for (const Orphan& orphan : g_orphans) {
        if (orphan.pidfd >= 0) watched.push_back({orphan.pidfd, POLLIN, 0});
      }
    }
    // The pidfds stay open while we poll: while this thread runs, it alone reaps the orphans and
    // closes their pidfds (reap_orphans() leaves them to it).
    poll(watched.data(), watched.size(), kOrphanPollMs);
  }
}

// Under g_orphans_mutex. With every signal blocked, so that no signal meant for a JavaScript
// thread is handled on this one.
void start_orphan_reaper_locked() {
  if (g_orphan_reaper_running) return;
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  g_orphan_reaper_running = pthread_create(&thread, &attributes, orphan_reaper_main, nullptr) == 0;
  pthread_attr_destroy(&attributes);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace

void adopt_orphans(const Orphan* orphans, size_t count) {
  if (count == 0) return;
  std::lock_guard<std::mutex> lock(g_orphans_mutex);
  g_orphans.insert(g_orphans.end(), orphans, orphans + count);
  g_orphan_count.store(g_orphans.size());
  // If the thread cannot be made, the JavaScript threads' reaps still sweep the orphans.
  start_orphan_reaper_locked();
}

void reap_orphans() {
  if (g_orphan_count.load() == 0) return;  // the usual case: no lock, no syscall
  std::lock_guard<std::mutex> lock(g_orphans_mutex);
  // Only when the helper thread could not be started: it polls the pidfds it would close.
  if (!g_orphan_reaper_running) reap_exited_orphans_locked();
}

int kill_process_group(pid_t pgid, int signal) {
  return kill(-pgid, signal) == 0 ? 0 : errno;
}

int kill_group_of_reaped_leader(pid_t pgid, int signal) {
  if (kill(pgid, 0) == 0 || errno == EPERM) return ESRCH;
  return kill_process_group(pgid, signal);
}

}  // namespace ps

// The rendezvous: the hub this copy uses, for copies loaded after it (see the top of the file).
extern "C" __attribute__((visibility("default"))) void* process_spawner_sigchld_hub_v1() {
  return ps::g_hub;
}
