// Parent side of a spawn, in the order strace shows it:
//   pipe2 for each stdio pipe and the error pipe -> block signals -> fork -> restore the mask ->
//   close the child's ends -> read the error pipe (EOF: exec succeeded) -> on failure, wait4.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <new>

#include "child.h"
#include "fd.h"

extern char** environ;

namespace ps {

namespace {

// The fds of one spawn. Destroying it closes whatever is still owned: the child's ends and
// /dev/null after fork, everything on an error path.
struct SpawnFds {
  std::vector<UniqueFd> parent_ends;
  std::vector<UniqueFd> child_ends;
  UniqueFd dev_null;
  UniqueFd error_read;
  UniqueFd error_write;
};

// Slot 0 is read by the child and slots 1 and 2 are written by it; a slot above 2, or one asked
// for as a socket (an IPC channel on fd 0-2), is a socketpair, which both sides can read and
// write. Returns 0 or an errno, with `*syscall` set.
int open_stdio_pipe(size_t slot, bool socket, int pipe_size, UniqueFd* parent_end, UniqueFd* child_end,
                    const char** syscall) {
  if (slot > 2 || socket) {
    *syscall = "socketpair";
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return errno;
    parent_end->reset(fds[0]);
    child_end->reset(fds[1]);
  } else {
    *syscall = "pipe2";
    UniqueFd read_end, write_end;
    if (int error = make_cloexec_pipe(&read_end, &write_end)) return error;
    *parent_end = std::move(slot == 0 ? write_end : read_end);
    *child_end = std::move(slot == 0 ? read_end : write_end);
    // The buffer belongs to the pipe, so setting it on our end sizes both.
    *syscall = "fcntl";
    if (pipe_size > 0 && fcntl(parent_end->get(), F_SETPIPE_SZ, pipe_size) < 0) return errno;
  }
  *syscall = "fcntl";
  return set_nonblocking(parent_end->get());
}

int open_dev_null(UniqueFd* fd) {
  if (fd->valid()) return 0;
  int opened;
  do {
    opened = open("/dev/null", O_RDWR | O_CLOEXEC);
  } while (opened < 0 && errno == EINTR);
  if (opened < 0) return errno;
  fd->reset(opened);
  return 0;
}

// Returns 0 or an errno, with `*syscall` naming the call that failed.
int open_stdio(const SpawnRequest& request, SpawnFds* fds, std::vector<ChildSlot>* slots,
               const char** syscall) {
  const size_t count = request.stdio.size();
  fds->parent_ends.resize(count);
  fds->child_ends.resize(count);
  slots->resize(count);
  for (size_t i = 0; i < count; i++) {
    const StdioSpec& spec = request.stdio[i];
    ChildSlot& slot = (*slots)[i];
    slot.clear_nonblock = false;
    if (spec.kind == StdioKind::kPipe || spec.kind == StdioKind::kSocketPair) {
      const bool socket = spec.kind == StdioKind::kSocketPair;
      if (int error = open_stdio_pipe(i, socket, request.pipe_size, &fds->parent_ends[i],
                                      &fds->child_ends[i], syscall)) {
        return error;
      }
      slot.source = fds->child_ends[i].get();
    } else if (spec.kind == StdioKind::kDevNull) {
      *syscall = "open";
      if (int error = open_dev_null(&fds->dev_null)) return error;
      slot.source = fds->dev_null.get();
    } else {
      slot.source = spec.fd;
      slot.clear_nonblock = true;
    }
  }
  return 0;
}

// nullptr-terminated views of the request's strings, for the child.
std::vector<char*> c_string_array(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// glibc's fork() runs pthread_atfork handlers in the child, and libuv registers one that creates a
// pipe and writes to it: code of someone else's between our fork and our exec. _Fork (glibc 2.34)
// is the async-signal-safe fork without those handlers.
pid_t fork_without_atfork_handlers() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  return _Fork();
#else
  return fork();
#endif
}

// The vfork method: clone(CLONE_VM | CLONE_VFORK) as glibc's posix_spawn does. The child runs
// in our memory, on a stack of its own, while this thread waits for its exec or _exit; nothing
// is copied, so its cost does not grow with the parent's memory. The child path is the same
// async-signal-safe one (see child.h); it writes only to its own stack, to errno (this thread's,
// which is suspended) and to the plan's fd numbers. One stack per thread is enough: the thread is
// suspended for as long as the child uses it.
//
// 64 KiB: the deepest path is the /proc/self/fd fallback of closeFds, with a 2 KiB getdents
// buffer, a few frames of under 200 bytes each, and the kernel's signal frame is never pushed
// (every signal is blocked until just before exec, and every handler is SIG_DFL by then).
// Below it sits a PROT_NONE guard page, so an overflow faults in the child instead of writing
// over the parent's heap.
constexpr size_t kVforkStackSize = 64 * 1024;

class VforkStack {
 public:
  ~VforkStack() {
    if (mapping_ != nullptr) munmap(mapping_, size_);
  }
  // The 16-byte aligned top of the stack, or nullptr with errno set.
  void* top() {
    if (mapping_ == nullptr && !map()) return nullptr;
    uintptr_t end = reinterpret_cast<uintptr_t>(mapping_) + size_;
    return reinterpret_cast<void*>(end & ~uintptr_t{15});
  }

 private:
  bool map() {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = kVforkStackSize + page;
    void* mapping = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) return false;
    // Stacks grow down on every architecture Linux runs Node on: the guard is the lowest page.
    if (mprotect(mapping, page, PROT_NONE) != 0) {
      int error = errno;
      munmap(mapping, size_);
      errno = error;
      return false;
    }
    mapping_ = mapping;
    return true;
  }
  void* mapping_ = nullptr;
  size_t size_ = 0;
};

int run_child_on_stack(void* plan) {
  run_child(static_cast<ChildPlan*>(plan));
}

pid_t vfork_child(ChildPlan* plan) {
  thread_local VforkStack stack;
  void* top = stack.top();
  if (top == nullptr) return -1;
  return clone(run_child_on_stack, top, CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
}

// A seccomp sandbox or an emulator may refuse a clone that shares memory. Once it has, every
// later spawn of the process forks, without asking again.
std::atomic<bool> g_vfork_refused{false};

bool is_refused_clone(int error) {
  return error == EINVAL || error == ENOSYS || error == EPERM;
}

// Blocks every signal in this thread around fork, so that no handler of Node's runs in the child
// before the child has reset the dispositions. The child inherits the full mask and sets its
// exec mask just before exec; `inherit_mask` makes that our mask as it was. Returns the pid, or
// -errno, with `*vforked` telling how the child was made: the shared-memory clone, or fork
// (asked for, or the clone was refused now or before).
pid_t fork_with_signals_blocked(ChildPlan* plan, bool inherit_mask, bool use_vfork, bool* vforked) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  if (inherit_mask) plan->exec_mask = previous;
  *vforked = use_vfork && !g_vfork_refused.load();
  pid_t pid = -1;
  int fork_errno = 0;
  if (*vforked) {
    pid = vfork_child(plan);
    fork_errno = errno;
    if (pid < 0 && is_refused_clone(fork_errno)) {
      g_vfork_refused.store(true);
      *vforked = false;
    }
  }
  if (!*vforked) {
    pid = fork_without_atfork_handlers();
    if (pid == 0) run_child(plan);
    fork_errno = errno;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return pid < 0 ? -fork_errno : pid;
}

// The child's exec closes the CLOEXEC error pipe, so EOF means the program is running. Otherwise
// the child wrote a ChildReport and is exiting: reap it at once so no zombie is left behind.
void collect_exec_result(pid_t pid, UniqueFd* error_read, SpawnOutcome* outcome) {
  ChildReport report{};
  ssize_t n = read_fully(error_read->get(), &report, sizeof report);
  error_read->reset();
  if (n == 0) return;
  if (n < 0) {
    // We cannot tell whether the program is running. Waiting for it would block this thread
    // for as long as it runs, so it is killed and reaped, and the spawn fails.
    kill(pid, SIGKILL);
    int ignored_status;
    while (wait4(pid, &ignored_status, 0, nullptr) < 0 && errno == EINTR) {
    }
    *outcome = SpawnOutcome{};
    outcome->parent_errno = static_cast<int>(-n);
    outcome->parent_syscall = "read";
    return;
  }
  outcome->child_errno = n == static_cast<ssize_t>(sizeof report) ? report.error : EIO;
  outcome->child_step = n == static_cast<ssize_t>(sizeof report) ? report.step : 0;
  pid_t reaped;
  do {
    reaped = wait4(pid, &outcome->wait_status, 0, &outcome->rusage);
  } while (reaped < 0 && errno == EINTR);
}

ChildPlan child_plan(const SpawnRequest& request, SpawnFds* fds, std::vector<ChildSlot>* slots,
                     std::vector<char*>& exec_paths, std::vector<char*>& argv,
                     std::vector<char*>& envp, const std::vector<ChildResourceLimit>& rlimits) {
  ChildPlan plan{};
  plan.exec_paths = exec_paths.data();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.cwd = request.has_cwd ? request.cwd.c_str() : nullptr;
  plan.slots = slots->data();
  plan.slot_count = static_cast<int>(slots->size());
  plan.error_fd = fds->error_write.get();
  plan.close_other_fds = request.close_fds;
  plan.reset_ignored_signals = request.restore_signals;
  if (request.has_signal_mask) {
    plan.exec_mask = request.signal_mask;
  } else {
    sigemptyset(&plan.exec_mask);
  }
  plan.new_session = request.new_session;
  plan.process_group = request.process_group;
  plan.set_umask = request.set_umask;
  plan.umask = request.umask;
  plan.rlimits = rlimits.data();
  plan.rlimit_count = rlimits.size();
  ChildCredentials& credentials = plan.credentials;
  credentials.set_groups = request.set_groups;
  credentials.groups = request.groups.data();
  credentials.group_count = request.groups.size();
  credentials.drop_groups = !request.set_groups && (request.set_uid || request.set_gid);
  credentials.set_gid = request.set_gid;
  credentials.gid = request.gid;
  credentials.set_uid = request.set_uid;
  credentials.uid = request.uid;
  plan.parent_death_signal = request.parent_death_signal;
  plan.parent_pid = request.parent_death_signal > 0 ? getpid() : 0;
  return plan;
}

SpawnOutcome parent_failure(const char* syscall, int error) {
  SpawnOutcome outcome;
  outcome.parent_syscall = syscall;
  outcome.parent_errno = error;
  return outcome;
}

}  // namespace

SpawnOutcome spawn_process(const SpawnRequest& request) {
  SpawnFds fds;
  std::vector<ChildSlot> slots;
  const char* syscall = nullptr;
  if (int error = open_stdio(request, &fds, &slots, &syscall)) return parent_failure(syscall, error);
  if (int error = make_cloexec_pipe(&fds.error_read, &fds.error_write)) {
    return parent_failure("pipe2", error);
  }

  // The child never reads the live environ, which another thread may be changing under it: a
  // caller that asks for the inherited environment gets a copy made here, as Go does.
  std::vector<std::string> inherited;
  if (request.inherit_environ) {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; entry++) inherited.emplace_back(*entry);
  }
  std::vector<char*> exec_paths = c_string_array(request.exec_paths);
  std::vector<char*> argv = c_string_array(request.argv);
  std::vector<char*> envp = c_string_array(request.inherit_environ ? inherited : request.envp);
  std::vector<ChildResourceLimit> rlimits;
  for (const auto& [resource, limit] : request.rlimits) rlimits.push_back({resource, limit});
  ChildPlan plan = child_plan(request, &fds, &slots, exec_paths, argv, envp, rlimits);

  const bool inherit_mask = !request.has_signal_mask && !request.restore_signals;
  // setuid/setgid/setgroups in a child that shares our memory would make the kernel mark that
  // memory non-dumpable: this process would lose core dumps and same-uid ptrace. CPython, Rust
  // and libuv fork in that case, and so do we.
  const bool changes_credentials = request.set_uid || request.set_gid || request.set_groups;
  const bool use_vfork = request.use_vfork && !changes_credentials;
  bool vforked = false;
  pid_t pid = fork_with_signals_blocked(&plan, inherit_mask, use_vfork, &vforked);
  if (pid < 0) return parent_failure(vforked ? "clone" : "fork", -pid);

  // Only the child may hold these now: our copies would keep its pipes open forever.
  fds.child_ends.clear();
  fds.dev_null.reset();
  fds.error_write.reset();

  SpawnOutcome outcome;
  outcome.pid = pid;
  outcome.method = vforked ? "vfork" : "fork";
  collect_exec_result(pid, &fds.error_read, &outcome);
  if (outcome.child_errno != 0 || outcome.parent_errno != 0) return outcome;  // fds' destructor closes our pipe ends
  outcome.parent_fds.reserve(fds.parent_ends.size());
  for (UniqueFd& end : fds.parent_ends) outcome.parent_fds.push_back(end.release());
  return outcome;
}

}  // namespace ps
