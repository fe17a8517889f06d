#include "parent/clone.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace ps {

namespace {

// From <linux/sched.h>, which glibc 2.36's headers do not all carry.
constexpr uint64_t kClonePidfd = 0x00001000;
constexpr uint64_t kCloneClearSighand = 0x100000000ULL;

// clone3's argument, the kernel's struct clone_args up to cgroup (Linux 5.7); the kernel takes
// the size we pass, so the first 64 bytes (5.3) would do as well.
struct CloneArgs {
  uint64_t flags;
  uint64_t pidfd;  // where the kernel writes the pidfd, with CLONE_PIDFD
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;  // lowest address; the kernel starts the child at stack + stack_size
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

// What this process has learned the kernel refuses; each is tried until it fails once.
std::atomic<bool> g_no_clone3{false};            // see clone3_unavailable
std::atomic<bool> g_no_clone_pidfd{false};       // EINVAL: before Linux 5.2
std::atomic<bool> g_shared_memory_refused{false};  // a sandbox or emulator refuses CLONE_VM

bool is_refused_clone(int error) {
  return error == EINVAL || error == ENOSYS || error == EPERM;
}

[[noreturn]] void run_child_entry(void* plan) {
  run_child(static_cast<ChildPlan*>(plan));
}

int run_child_on_stack(void* plan) {
  run_child(static_cast<ChildPlan*>(plan));
}

// The vfork child's stack. The child runs in our memory while this thread waits for its exec or
// _exit, so it needs a stack of its own; one per thread is enough, since the thread is suspended
// for as long as its child uses it.
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
  // The usable range above the guard page, or false with errno set.
  bool get(void** lowest, size_t* size) {
    if (mapping_ == nullptr && !map()) return false;
    *lowest = static_cast<char*>(mapping_) + page_;
    *size = kVforkStackSize;  // a multiple of 16, so the top is 16-byte aligned
    return true;
  }

 private:
  bool map() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = kVforkStackSize + page_;
    void* mapping = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) return false;
    // Stacks grow down on every architecture Linux runs Node on: the guard is the lowest page.
    if (mprotect(mapping, page_, PROT_NONE) != 0) {
      const int error = errno;
      munmap(mapping, size_);
      errno = error;
      return false;
    }
    mapping_ = mapping;
    return true;
  }
  void* mapping_ = nullptr;
  size_t size_ = 0;
  size_t page_ = 0;
};

thread_local VforkStack t_vfork_stack;

#if defined(__x86_64__)
// clone3 with a new stack, for the vfork method. glibc has no public clone3 wrapper, and a plain
// syscall() cannot be used with CLONE_VM: the child would return through the parent's stack
// frames and overwrite them. So, as glibc's own clone3.S does, the child leaves this function on
// the new stack at once: it calls entry(arg), which never returns. In the parent this returns the
// pid, or -errno. r12 and r13 survive the syscall in the child (only rax, rcx and r11 change).
long clone3_on_new_stack(CloneArgs* args, void (*entry)(void*), void* arg) {
  register long rax asm("rax") = SYS_clone3;
  register CloneArgs* rdi asm("rdi") = args;
  register long rsi asm("rsi") = sizeof *args;
  register void (*r12)(void*) asm("r12") = entry;
  register void* r13 asm("r13") = arg;
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"  // the child's outermost frame
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"       // the stack top is 16-byte aligned, as the call needs
      "hlt\n\t"               // never reached: entry does not return
      "1:\n\t"
      : "+r"(rax)
      : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory");
  return rax;
}
constexpr bool kHasClone3OnNewStack = true;
#else
// Only x86-64 has the assembly above; elsewhere the vfork method uses glibc's clone().
long clone3_on_new_stack(CloneArgs*, void (*)(void*), void*) {
  return -ENOSYS;
}
constexpr bool kHasClone3OnNewStack = false;
#endif

// clone3 refused: ENOSYS (no clone3, or a sandbox that hides it), EPERM (a seccomp filter that
// refuses it outright, as some container runtimes did before they learned ENOSYS), EINVAL (a
// kernel before 5.5, which does not know CLONE_CLEAR_SIGHAND) or E2BIG (a struct size it does not
// take; the kernel accepts a larger one whose tail is zero, as ours is). The older calls are used
// from now on; if the sandbox refuses the shared-memory clone itself, clone says so in turn.
bool clone3_unavailable(long result) {
  return result == -ENOSYS || result == -EPERM || result == -EINVAL || result == -E2BIG;
}

// The shared-memory clone. Returns the pid or -errno; *syscall names the call that made it.
long vfork_child(ChildPlan* plan, int* pidfd, const char** syscall_name) {
  void* stack;
  size_t stack_size;
  if (!t_vfork_stack.get(&stack, &stack_size)) {
    *syscall_name = "mmap";
    return -errno;
  }
  if (kHasClone3OnNewStack && !g_no_clone3.load()) {
    CloneArgs args{};
    args.flags = CLONE_VM | CLONE_VFORK | kClonePidfd | kCloneClearSighand;
    args.pidfd = reinterpret_cast<uintptr_t>(pidfd);
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uintptr_t>(stack);
    args.stack_size = stack_size;
    plan->handlers_cleared = true;
    *syscall_name = "clone3";
    const long result = clone3_on_new_stack(&args, run_child_entry, plan);
    if (!clone3_unavailable(result)) return result;
    g_no_clone3.store(true);
  }
  plan->handlers_cleared = false;
  *syscall_name = "clone";
  void* top = static_cast<char*>(stack) + stack_size;
  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  if (!g_no_clone_pidfd.load()) {
    const long pid = clone(run_child_on_stack, top, flags | static_cast<int>(kClonePidfd), plan, pidfd);
    if (pid >= 0 || errno != EINVAL) return pid >= 0 ? pid : -errno;
    g_no_clone_pidfd.store(true);
  }
  const long pid = clone(run_child_on_stack, top, flags, plan);
  return pid >= 0 ? pid : -errno;
}

// The copying clone. Its child returns from the syscall in its own copy of our memory, so the
// plain syscall() suffices. Only async-signal-safe code runs in it (see child.h): glibc's fork
// bookkeeping, which raw clone3/clone skip, is nothing that code uses.
long fork_child(ChildPlan* plan, int* pidfd, const char** syscall_name) {
  if (!g_no_clone3.load()) {
    CloneArgs args{};
    args.flags = kClonePidfd | kCloneClearSighand;
    args.pidfd = reinterpret_cast<uintptr_t>(pidfd);
    args.exit_signal = SIGCHLD;
    plan->handlers_cleared = true;
    *syscall_name = "clone3";
    const long result = syscall(SYS_clone3, &args, sizeof args);
    if (result == 0) run_child(plan);
    if (result > 0) return result;
    if (!clone3_unavailable(-errno)) return -errno;
    g_no_clone3.store(true);  // then clone, as in vfork_child
  }
  plan->handlers_cleared = false;
  if (!g_no_clone_pidfd.load()) {
    *syscall_name = "clone";
    // The third argument is parent_tid on every architecture's clone, where CLONE_PIDFD writes.
    const long result = syscall(SYS_clone, kClonePidfd | SIGCHLD, nullptr, pidfd, nullptr, nullptr);
    if (result == 0) run_child(plan);
    if (result > 0) return result;
    if (errno != EINVAL) return -errno;
    g_no_clone_pidfd.store(true);
  }
  // glibc's fork() would run pthread_atfork handlers in the child (libuv registers one that
  // creates a pipe): code of someone else's between our fork and our exec. _Fork (glibc 2.34)
  // is the async-signal-safe fork without them.
  *syscall_name = "fork";
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  const pid_t pid = _Fork();
#else
  const pid_t pid = fork();
#endif
  if (pid == 0) run_child(plan);
  return pid >= 0 ? pid : -errno;
}

}  // namespace

ClonedChild clone_child(ChildPlan* plan, bool share_memory) {
  // Every signal blocked in this thread across the clone, so that no handler of Node's runs in
  // the child before it has reset the dispositions.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  if (plan->inherit_mask) plan->exec_mask = previous;

  ClonedChild child;
  long result = -EINVAL;
  child.shared_memory = share_memory && !g_shared_memory_refused.load();
  if (child.shared_memory) {
    result = vfork_child(plan, &child.pidfd, &child.syscall);
    if (result < 0 && is_refused_clone(static_cast<int>(-result))) {
      g_shared_memory_refused.store(true);
      child.shared_memory = false;
    }
  }
  if (!child.shared_memory) result = fork_child(plan, &child.pidfd, &child.syscall);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  if (result < 0) {
    child.error = static_cast<int>(-result);
    child.pidfd = -1;
    return child;
  }
  child.pid = static_cast<pid_t>(result);
  return child;
}

}  // namespace ps
