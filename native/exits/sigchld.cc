// The SIGCHLD handler and its list of self-pipes (see sigchld.h for when it is installed).
//
// Rendezvous. Two copies of this addon in one process (two installs of the package in a
// node_modules tree) must not install two handlers, or the second would find the first "someone
// else's" and stay silent. The state the handler uses (the list of self-pipes, the install lock)
// lives in a SigchldHub, and each copy publishes the hub it uses through one extern "C" function,
// PS_SIGCHLD_HUB_SYMBOL. When a copy is loaded its constructor walks the objects already loaded
// (dl_iterate_phdr), looks the function up in each (dlopen RTLD_NOLOAD + dlsym: copies are loaded
// RTLD_LOCAL, so a global lookup would not see them) and adopts the first hub it finds; the first
// copy keeps its own. glibc runs constructors from dlopen with its loader lock held, so two
// copies loaded by two threads at once still elect one hub. The layout below is frozen for this
// symbol name: a change needs a new name, and a copy with another name is simply another party
// that holds SIGCHLD or not (sigchld.h).
//
// Lifetime. The handler may run after the thread that installed it is gone, and after a
// worker_thread that loaded this copy has unloaded it: the object is linked -z nodelete (never
// unmapped), the hub is a static of it, and the list's nodes are allocated once and never freed.
// Nothing the handler touches has a destructor.
#include "exits/sigchld.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#ifndef PS_SIGCHLD_HUB_SYMBOL
#define PS_SIGCHLD_HUB_SYMBOL process_spawner_sigchld_hub_v2
#endif
#define PS_STRINGIFY_INNER(name) #name
#define PS_STRINGIFY(name) PS_STRINGIFY_INNER(name)

namespace ps {

namespace {

constexpr uint64_t kHubMagic = 0x7073736967636864ULL;  // "pssigchd"
constexpr uint32_t kHubVersion = 2;

using SigactionFunction = void (*)(int, siginfo_t*, void*);

// One self-pipe's write end. Nodes are pushed at the head and never freed or unlinked; a node
// whose pipe was closed (write_fd_plus_one == 0) is reused by the next pipe.
struct SelfPipeNode {
  std::atomic<int> write_fd_plus_one;
  SelfPipeNode* next;  // set before the node is published, never changed after
};

// Process-wide, shared by every copy of the addon with this symbol name (frozen layout).
struct SigchldHub {
  uint64_t magic;
  uint32_t version;
  uint32_t size;
  // The one handler of the process: the first copy's on_sigchld.
  SigactionFunction handler;
  // Serializes installs and changes to the list across copies and threads.
  pthread_mutex_t mutex;
  // Handlers between entry and return. A pipe is closed only once this has been zero after its
  // node was cleared, so a handler never writes into an fd number that was handed out again.
  std::atomic<int> handlers_running;
  std::atomic<SelfPipeNode*> self_pipes;
};

void on_sigchld(int signal, siginfo_t* info, void* context);

// Constant-initialized: ready before any constructor runs.
SigchldHub g_own_hub = {kHubMagic, kHubVersion, sizeof(SigchldHub), on_sigchld, PTHREAD_MUTEX_INITIALIZER, {0}, {nullptr}};
// The hub this copy uses: its own, or the one an earlier copy published.
SigchldHub* g_hub = &g_own_hub;

class HubLock {
 public:
  HubLock() { pthread_mutex_lock(&g_hub->mutex); }
  ~HubLock() { pthread_mutex_unlock(&g_hub->mutex); }
  HubLock(const HubLock&) = delete;
  HubLock& operator=(const HubLock&) = delete;
};

// Async-signal-safe: atomics and write(). One byte to each pipe; EAGAIN means the pipe is full,
// so a wake-up is pending already, which is all that is needed. errno is saved because the
// interrupted code may be about to read it. Nothing to chain: the handler only ever replaced
// SIG_DFL or SIG_IGN (sigchld.h).
void on_sigchld(int, siginfo_t*, void*) {
  const int saved_errno = errno;
  SigchldHub* hub = g_hub;
  hub->handlers_running.fetch_add(1);
  for (SelfPipeNode* node = hub->self_pipes.load(); node != nullptr; node = node->next) {
    const int fd = node->write_fd_plus_one.load() - 1;
    if (fd < 0) continue;
    const char byte = 0;
    ssize_t ignored = write(fd, &byte, 1);
    (void)ignored;
  }
  hub->handlers_running.fetch_sub(1);
  errno = saved_errno;
}

bool is_hub_handler(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) != 0 && action.sa_sigaction == g_hub->handler;
}

bool has_handler(const struct sigaction& action) {
  if (action.sa_flags & SA_SIGINFO) return action.sa_sigaction != nullptr;
  return action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}

struct sigaction hub_action() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = g_hub->handler;
  action.sa_flags = SA_SIGINFO | SA_RESTART;  // no SA_NOCLDSTOP: see sigchld.h
  sigfillset(&action.sa_mask);
  return action;
}

// Under the hub's lock: a cleared node to reuse, or a new one at the head of the list.
void add_to_list(int write_fd) {
  for (SelfPipeNode* node = g_hub->self_pipes.load(); node != nullptr; node = node->next) {
    int cleared = 0;
    if (node->write_fd_plus_one.compare_exchange_strong(cleared, write_fd + 1)) return;
  }
  SelfPipeNode* node = new SelfPipeNode;  // never freed: a handler may be reading it
  node->write_fd_plus_one.store(write_fd + 1);
  node->next = g_hub->self_pipes.load();
  g_hub->self_pipes.store(node);
}

// The hub a loaded object publishes, if it is another copy of this addon.
SigchldHub* hub_published_by(const char* path) {
  void* object = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (object == nullptr) return nullptr;
  SigchldHub* hub = nullptr;
  void* symbol = dlsym(object, PS_STRINGIFY(PS_SIGCHLD_HUB_SYMBOL));
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

int open_self_pipe(int* read_fd, int* write_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
  HubLock lock;
  add_to_list(fds[1]);
  *read_fd = fds[0];
  *write_fd = fds[1];
  return 0;
}

void close_self_pipe(int write_fd) {
  {
    HubLock lock;
    for (SelfPipeNode* node = g_hub->self_pipes.load(); node != nullptr; node = node->next) {
      int expected = write_fd + 1;
      if (node->write_fd_plus_one.compare_exchange_strong(expected, 0)) break;
    }
  }
  // A handler that loaded the fd before the node was cleared counted itself in first.
  while (g_hub->handlers_running.load() != 0) sched_yield();
  close(write_fd);
}

SigchldHolder sigchld_holder() {
  struct sigaction current;
  sigaction(SIGCHLD, nullptr, &current);
  if (is_hub_handler(current)) return SigchldHolder::kUs;
  return has_handler(current) ? SigchldHolder::kSomeoneElse : SigchldHolder::kNobody;
}

SigchldHandler install_sigchld_handler_if_free() {
  HubLock lock;
  struct sigaction current;
  sigaction(SIGCHLD, nullptr, &current);
  if (is_hub_handler(current)) return SigchldHandler::kOurs;
  if (has_handler(current)) return SigchldHandler::kSomeoneElses;
  const struct sigaction ours = hub_action();
  struct sigaction replaced;
  sigaction(SIGCHLD, &ours, &replaced);
  if (!has_handler(replaced) || is_hub_handler(replaced)) return SigchldHandler::kInstalled;
  // Another handler was installed between our look and our install. It goes back as it was, and
  // since a SIGCHLD may have reached ours instead in between, its owner gets one of its own: a
  // spurious SIGCHLD costs a waitpid(WNOHANG), a missed one could cost an exit.
  sigaction(SIGCHLD, &replaced, nullptr);
  kill(getpid(), SIGCHLD);
  return SigchldHandler::kSomeoneElses;
}

}  // namespace ps

// The rendezvous: the hub this copy uses, for copies loaded after it (see the top of the file).
extern "C" __attribute__((visibility("default"))) void* PS_SIGCHLD_HUB_SYMBOL() {
  return ps::g_hub;
}
