#include "exits/exit_watcher.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "exits/epoll_set.h"
#include "exits/orphans.h"
#include "exits/sigchld.h"

namespace ps {

namespace {

constexpr uint64_t kSelfPipeKey = UINT64_MAX;  // never a child's: keys count up from 1
constexpr int kEventsPerWait = 64;
// Children without a pidfd while another handler holds SIGCHLD: how often they are asked.
constexpr uint64_t kTickMs = 50;

}  // namespace

int ExitWatcher::open(uv_loop_t* loop, Listener listener, void* context, ExitWatcher** watcher) {
  ExitWatcher* opened = new ExitWatcher(listener, context);
  if (int error = opened->start(loop)) {
    delete opened;
    return error;
  }
  *watcher = opened;
  return 0;
}

int ExitWatcher::start(uv_loop_t* loop) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return errno;
  if (int error = open_self_pipe(&self_pipe_read_, &self_pipe_write_)) return error;
  struct epoll_event event = {};
  event.events = EPOLLIN;
  event.data.u64 = kSelfPipeKey;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, self_pipe_read_, &event) != 0) return errno;
  install_sigchld_handler_if_free();
  if (int error = uv_poll_init(loop, &poll_, epoll_fd_)) return -error;
  poll_.data = this;
  handles_open_++;
  uv_timer_init(loop, &tick_);
  tick_.data = this;
  handles_open_++;
  uv_unref(reinterpret_cast<uv_handle_t*>(&tick_));
  uv_poll_start(&poll_, UV_READABLE, on_readable);
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  return 0;
}

ExitWatcher::~ExitWatcher() {
  if (self_pipe_write_ >= 0) close_self_pipe(self_pipe_write_);
  if (self_pipe_read_ >= 0) ::close(self_pipe_read_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void ExitWatcher::add(uint64_t key, pid_t pid, int pidfd) {
  bool in_epoll_set = false;
  if (pidfd >= 0) {
    struct epoll_event event = {};
    event.events = EPOLLIN;
    event.data.u64 = key;
    // A child that has exited already makes the set readable at once: no exit can be missed.
    in_epoll_set = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pidfd, &event) == 0;
  }
  children_.emplace(key, Child{pid, pidfd});
  if (!in_epoll_set) {
    asked_by_pid_.insert(key);
    update_tick();
  }
}

int ExitWatcher::signal(uint64_t key, int signal) {
  auto child = children_.find(key);
  if (child == children_.end()) return ESRCH;
  return signal_child(child->second.pid, child->second.pidfd, signal);
}

void ExitWatcher::hold_loop(bool held) {
  if (held) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  }
}

void ExitWatcher::on_readable(uv_poll_t* poll, int status, int) {
  ExitWatcher* watcher = static_cast<ExitWatcher*>(poll->data);
  std::vector<Exit> exits;
  if (status == 0) watcher->collect_pidfd_exits(&exits);
  watcher->report(&exits);
}

// Children without pidfds are asked only while our handler is not the one in place: with it,
// their exits wake the self-pipe.
void ExitWatcher::on_tick(uv_timer_t* timer) {
  ExitWatcher* watcher = static_cast<ExitWatcher*>(timer->data);
  // SIGCHLD may have been given back (libuv sets SIG_DFL after its last child): take it again.
  // Exits while nobody held it wrote to no self-pipe, so the children are asked all the same.
  if (install_sigchld_handler_if_free() == SigchldHandler::kOurs) return;
  std::vector<Exit> exits;
  watcher->collect_exits_by_pid(&exits);
  watcher->report(&exits);
}

// One epoll_wait returns exactly the children that have exited (and the self-pipe, if the
// handler wrote to it). Each is reaped, and its pidfd leaves the set and is closed.
void ExitWatcher::collect_pidfd_exits(std::vector<Exit>* exits) {
  struct epoll_event events[kEventsPerWait];
  bool woken_by_signal = false;
  for (;;) {
    const int ready = epoll_wait(epoll_fd_, events, kEventsPerWait, 0);
    if (ready <= 0) break;
    for (int i = 0; i < ready; i++) {
      const uint64_t key = events[i].data.u64;
      if (key == kSelfPipeKey) {
        woken_by_signal = true;
        drain_self_pipe();
        continue;
      }
      auto child = children_.find(key);
      if (child == children_.end()) continue;
      Exit exit{key, {}};
      if (!reap_if_exited(child->second.pid, child->second.pidfd, &exit.status)) continue;
      stop_watching(epoll_fd_, child->second.pidfd);
      children_.erase(child);
      exits->push_back(exit);
    }
    if (ready < kEventsPerWait) break;
  }
  if (woken_by_signal && !asked_by_pid_.empty()) collect_exits_by_pid(exits);
}

void ExitWatcher::collect_exits_by_pid(std::vector<Exit>* exits) {
  for (auto key = asked_by_pid_.begin(); key != asked_by_pid_.end();) {
    auto child = children_.find(*key);
    Exit exit{*key, {}};
    if (!reap_if_exited(child->second.pid, child->second.pidfd, &exit.status)) {
      ++key;
      continue;
    }
    if (child->second.pidfd >= 0) ::close(child->second.pidfd);
    children_.erase(child);
    key = asked_by_pid_.erase(key);
    exits->push_back(exit);
  }
  update_tick();
}

// One read is enough unless it filled the buffer: a byte left behind only wakes the set again.
void ExitWatcher::drain_self_pipe() {
  char bytes[256];
  while (read(self_pipe_read_, bytes, sizeof bytes) == static_cast<ssize_t>(sizeof bytes)) {
  }
}

void ExitWatcher::report(std::vector<Exit>* exits) {
  if (!exits->empty()) listener_(context_, *exits);
}

void ExitWatcher::update_tick() {
  if (!asked_by_pid_.empty() && !uv_is_active(reinterpret_cast<uv_handle_t*>(&tick_))) {
    uv_timer_start(&tick_, on_tick, kTickMs, kTickMs);
  } else if (asked_by_pid_.empty()) {
    uv_timer_stop(&tick_);
  }
}

void ExitWatcher::close(bool hand_over_children, void (*closed)(void*), void* context) {
  std::vector<Orphan> orphans;
  for (const auto& [key, child] : children_) {
    if (hand_over_children) {
      orphans.push_back({child.pid, child.pidfd});
    } else if (child.pidfd >= 0) {
      ::close(child.pidfd);
    }
  }
  children_.clear();
  asked_by_pid_.clear();
  adopt_orphans(orphans.data(), orphans.size());
  closed_ = closed;
  closed_context_ = context;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), on_handle_closed);
}

void ExitWatcher::on_handle_closed(uv_handle_t* handle) {
  ExitWatcher* watcher = static_cast<ExitWatcher*>(handle->data);
  if (--watcher->handles_open_ > 0) return;
  void (*closed)(void*) = watcher->closed_;
  void* context = watcher->closed_context_;
  delete watcher;
  if (closed != nullptr) closed(context);
}

}  // namespace ps
