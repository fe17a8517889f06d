// Parent side of a spawn, in the order strace shows it:
//   pipe2 for each stdio pipe and the error pipe -> block signals -> clone3 (or clone, or fork;
//   see clone.h) with a pidfd -> restore the mask -> close the child's ends -> read the error pipe
//   (EOF: exec succeeded) -> on failure, reap the child through its pidfd.
#include "parent/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "child/child.h"
#include "exits/reap.h"
#include "parent/clone.h"
#include "parent/fd.h"

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
      // Only the stdio slots, as libuv does: a program expects blocking stdio, but an fd passed
      // above them (a listening socket for a pre-fork server) shares its O_NONBLOCK with us,
      // and clearing it would make our own accept() block.
      slot.clear_nonblock = i <= 2;
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

// The child's exec closes the CLOEXEC error pipe, so EOF means the program is running. Otherwise
// the child wrote a ChildReport and is exiting: reap it at once so no zombie is left behind.
void collect_exec_result(UniqueFd* error_read, SpawnOutcome* outcome) {
  ChildReport report{};
  ssize_t n = read_fully(error_read->get(), &report, sizeof report);
  error_read->reset();
  if (n == 0) return;
  ExitStatus exit;
  if (n < 0) {
    // We cannot tell whether the program is running. Waiting for it would block this thread
    // for as long as it runs, so it is killed and reaped, and the spawn fails.
    signal_child(outcome->pid, outcome->pidfd, SIGKILL);
    reap_exiting_child(outcome->pid, outcome->pidfd, &exit);
    if (outcome->pidfd >= 0) close(outcome->pidfd);
    *outcome = SpawnOutcome{};
    outcome->parent_errno = static_cast<int>(-n);
    outcome->parent_syscall = "read";
    return;
  }
  outcome->child_errno = n == static_cast<ssize_t>(sizeof report) ? report.error : EIO;
  outcome->child_step = n == static_cast<ssize_t>(sizeof report) ? report.step : 0;
  reap_exiting_child(outcome->pid, outcome->pidfd, &exit);
  outcome->wait_status = exit.status;
  outcome->rusage = exit.rusage;
  if (outcome->pidfd >= 0) close(outcome->pidfd);
  outcome->pidfd = -1;
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
  plan.inherit_mask = !request.has_signal_mask && !request.restore_signals;
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

  // setuid/setgid/setgroups in a child that shares our memory would make the kernel mark that
  // memory non-dumpable: this process would lose core dumps and same-uid ptrace. CPython, Rust
  // and libuv fork in that case, and so do we.
  const bool changes_credentials = request.set_uid || request.set_gid || request.set_groups;
  const ClonedChild child = clone_child(&plan, request.use_vfork && !changes_credentials);
  if (child.pid < 0) return parent_failure(child.syscall, child.error);

  // Only the child may hold these now: our copies would keep its pipes open forever.
  fds.child_ends.clear();
  fds.dev_null.reset();
  fds.error_write.reset();

  SpawnOutcome outcome;
  outcome.pid = child.pid;
  outcome.pidfd = child.pidfd >= 0 ? child.pidfd : open_pidfd_of_child(child.pid);
  outcome.method = child.shared_memory ? "vfork" : "fork";
  outcome.clone_syscall = child.syscall;
  collect_exec_result(&fds.error_read, &outcome);
  if (outcome.child_errno != 0 || outcome.parent_errno != 0) return outcome;  // fds' destructor closes our pipe ends
  outcome.parent_fds.reserve(fds.parent_ends.size());
  for (UniqueFd& end : fds.parent_ends) outcome.parent_fds.push_back(end.release());
  return outcome;
}

}  // namespace ps
