// The synchronous spawn's loop, in the order strace shows it:
//   spawn_process (pipe2, clone3 with a pidfd, read of the error pipe) -> poll on the pipes and
//   the pidfd -> write/read as they are ready -> kill at the deadline or past maxBuffer ->
//   waitid(P_PIDFD) once the pidfd says the child has exited -> close what is left.
//
// The exit is watched with the pidfd, not SIGCHLD: the loop blocks this thread, and the event
// loop that would read the SIGCHLD self-pipe is not running. A pidfd also leaves every
// process-wide signal setting alone. Without one (Linux < 5.2) the loop polls wait4(pid, WNOHANG)
// between short poll() timeouts.
#include "parent/sync.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "exits/reap.h"
#include "parent/fd.h"

namespace ps {

namespace {

// One read; the same size as libuv's reads, so maxBuffer is crossed by the same amounts.
constexpr size_t kReadChunk = 64 * 1024;
// Without a pidfd, how often wait4(WNOHANG) is tried while nothing else happens.
constexpr int kReapPollMs = 5;
constexpr int64_t kNever = -1;

int64_t monotonic_ms() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

double monotonic_ms_precise() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

class SyncLoop {
 public:
  SyncLoop(pid_t pid, int pidfd, std::vector<int>* fds, const SyncLimits& limits, double started,
           SyncOutcome* outcome)
      : pid_(pid), limits_(limits), started_(started), outcome_(outcome), pidfd_(pidfd) {
    // Owned from here, so that every return path closes them.
    pipes_.resize(fds->size());
    for (size_t slot = 0; slot < fds->size(); slot++) pipes_[slot].reset((*fds)[slot]);
    outcome_->outputs.resize(fds->size());
    outcome_->has_output.resize(fds->size());
    stream_bytes_.resize(fds->size());
    for (size_t slot = 1; slot < fds->size(); slot++) outcome_->has_output[slot] = pipes_[slot].valid();
    if (pipes_.size() > 0 && pipes_[0].valid() && limits_.input.empty()) pipes_[0].reset();
  }

  void run() {
    const int64_t start = monotonic_ms();
    if (limits_.timeout_ms > 0) deadline_ = start + limits_.timeout_ms;
    while (!child_done() || any_pipe_open()) {
      wait_for_events();
      if (!child_done() && !pidfd_.valid()) try_reap();
      check_deadlines(monotonic_ms());
    }
  }

 private:
  bool child_done() const { return outcome_->reaped || reap_failed_; }

  bool any_pipe_open() const {
    return std::any_of(pipes_.begin(), pipes_.end(), [](const UniqueFd& fd) { return fd.valid(); });
  }

  // One poll() over the open pipes and the pidfd, bounded by the nearest deadline; then whatever
  // is ready is served. EINTR just goes round again: the deadlines are rechecked by the caller.
  void wait_for_events() {
    std::vector<struct pollfd> polled;
    std::vector<int> slots;
    for (size_t slot = 0; slot < pipes_.size(); slot++) {
      if (!pipes_[slot].valid()) continue;
      polled.push_back({pipes_[slot].get(), static_cast<short>(slot == 0 ? POLLOUT : POLLIN), 0});
      slots.push_back(static_cast<int>(slot));
    }
    if (!child_done() && pidfd_.valid()) {
      polled.push_back({pidfd_.get(), POLLIN, 0});
      slots.push_back(-1);
    }
    int ready = poll(polled.data(), polled.size(), poll_timeout_ms(monotonic_ms()));
    if (ready < 0) {
      if (errno != EINTR) fail_io("poll", errno);
      return;
    }
    for (size_t i = 0; i < polled.size() && ready > 0; i++) {
      if (polled[i].revents == 0) continue;
      if (slots[i] < 0) {
        try_reap();
        // A pidfd is readable once its process has exited. One that says so of a running child
        // cannot be polled (Linux 5.2 had pidfds, but no poll on them): from now on the child
        // is asked with wait4 between short timeouts, instead of spinning on it.
        if (!child_done()) pidfd_.reset();
      } else if (slots[i] == 0) {
        write_input();
      } else {
        read_output(static_cast<size_t>(slots[i]));
      }
    }
  }

  int poll_timeout_ms(int64_t now) const {
    int64_t timeout = kNever;
    auto nearer = [&](int64_t at) {
      if (at == kNever) return;
      int64_t left = std::max<int64_t>(0, at - now);
      timeout = timeout == kNever ? left : std::min(timeout, left);
    };
    if (outcome_->end == SyncEnd::kNone) nearer(deadline_);
    if (!child_done()) nearer(escalate_at_);
    nearer(drain_until_);
    if (!child_done() && !pidfd_.valid()) nearer(now + kReapPollMs);
    return timeout == kNever ? -1 : static_cast<int>(std::min<int64_t>(timeout, 1 << 30));
  }

  void check_deadlines(int64_t now) {
    if (outcome_->end == SyncEnd::kNone && deadline_ != kNever && now >= deadline_) {
      end_child(SyncEnd::kTimeout, -1, now);
    }
    if (escalate_at_ != kNever && now >= escalate_at_) {
      escalate_at_ = kNever;
      if (!child_done()) signal_child(pid_, pidfd_.get(), SIGKILL);
    }
    if (drain_until_ == kNever && outcome_->end != SyncEnd::kNone && child_done() &&
        limits_.drain_after_kill_ms >= 0) {
      drain_until_ = now + limits_.drain_after_kill_ms;
    }
    // A grandchild may hold the pipes open for as long as it lives; a run we ended stops here.
    if (drain_until_ != kNever && now >= drain_until_) close_pipes();
  }

  // Through the pidfd, or wait4 on our exact pid without one; never -1: other children of this
  // process are not ours to reap.
  void try_reap() {
    ExitStatus exit;
    if (!reap_if_exited(pid_, pidfd_.get(), &exit)) return;
    if (exit.error != 0) {
      // ECHILD: someone reaped it with waitpid(-1); its status is lost.
      reap_failed_ = true;
      fail_io("waitid", exit.error);
    } else {
      outcome_->reaped = true;
      outcome_->wait_status = exit.status;
      outcome_->rusage = exit.rusage;
      outcome_->duration_ms = monotonic_ms_precise() - started_;
    }
    pidfd_.reset();
  }

  // The input goes in as the child reads it; once all of it is written, EOF.
  void write_input() {
    const std::string& input = limits_.input;
    while (input_offset_ < input.size()) {
      ssize_t written = write(pipes_[0].get(), input.data() + input_offset_, input.size() - input_offset_);
      if (written < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        // EPIPE: the child closed its stdin (child_process reports it as the result's error).
        fail_io("write", errno);
        pipes_[0].reset();
        return;
      }
      input_offset_ += static_cast<size_t>(written);
    }
    pipes_[0].reset();
  }

  void read_output(size_t slot) {
    char buffer[kReadChunk];
    for (;;) {
      ssize_t n = read(pipes_[slot].get(), buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        fail_io("read", errno);
        pipes_[slot].reset();
        return;
      }
      if (n == 0) {
        pipes_[slot].reset();
        return;
      }
      keep_output(slot, buffer, static_cast<size_t>(n));
      if (!pipes_[slot].valid()) return;  // the limit was crossed and the pipes closed
      if (static_cast<size_t>(n) < sizeof buffer) return;  // drained for now
    }
  }

  // Past maxBuffer a stream keeps the read that crossed it and drops what comes after.
  void keep_output(size_t slot, const char* data, size_t size) {
    const bool per_stream = limits_.max_buffer_per_stream;
    if (per_stream ? stream_full(slot) : total_full_) return;
    outcome_->outputs[slot].append(data, size);
    total_bytes_ += size;
    stream_bytes_[slot] += size;
    if (!limits_.has_max_buffer) return;
    if ((per_stream ? stream_bytes_[slot] : total_bytes_) <= limits_.max_buffer) return;
    total_full_ = !per_stream;
    end_child(SyncEnd::kMaxBuffer, static_cast<int>(slot), monotonic_ms());
  }

  bool stream_full(size_t slot) const {
    return limits_.has_max_buffer && stream_bytes_[slot] > limits_.max_buffer;
  }

  // The first reason wins. killSignal now, SIGKILL after the grace (if any); the pipes are closed
  // at once (child_process) or read until the child is gone (drain_after_kill_ms >= 0).
  void end_child(SyncEnd why, int slot, int64_t now) {
    if (outcome_->end != SyncEnd::kNone) return;
    outcome_->end = why;
    outcome_->end_slot = slot;
    if (!child_done()) {
      if (int error = signal_child(pid_, pidfd_.get(), limits_.kill_signal)) {
        if (error != ESRCH) {
          fail_io("kill", error);
          signal_child(pid_, pidfd_.get(), SIGKILL);
        }
      }
      if (limits_.kill_grace_ms >= 0) escalate_at_ = now + limits_.kill_grace_ms;
    }
    if (limits_.drain_after_kill_ms < 0) close_pipes();
  }

  void close_pipes() {
    for (UniqueFd& pipe : pipes_) pipe.reset();
  }

  // Only the first error is kept: it is the one that explains the rest.
  void fail_io(const char* syscall, int error) {
    if (outcome_->io_errno != 0) return;
    outcome_->io_errno = error;
    outcome_->io_syscall = syscall;
  }

  const pid_t pid_;
  const SyncLimits& limits_;
  const double started_;
  SyncOutcome* const outcome_;
  UniqueFd pidfd_;
  std::vector<UniqueFd> pipes_;  // by slot; slot 0 is written, the others read
  size_t input_offset_ = 0;
  uint64_t total_bytes_ = 0;
  std::vector<uint64_t> stream_bytes_;
  bool total_full_ = false;
  bool reap_failed_ = false;
  int64_t deadline_ = kNever;
  int64_t escalate_at_ = kNever;
  int64_t drain_until_ = kNever;
};

}  // namespace

SyncOutcome spawn_sync(const SpawnRequest& request, const SyncLimits& limits) {
  SyncOutcome outcome;
  const double started = monotonic_ms_precise();
  outcome.spawn = spawn_process(request);
  if (outcome.spawn.parent_errno != 0 || outcome.spawn.child_errno != 0) return outcome;
  SyncLoop loop(outcome.spawn.pid, outcome.spawn.pidfd, &outcome.spawn.parent_fds, limits, started, &outcome);
  outcome.spawn.pidfd = -1;          // the loop owns and closes it,
  outcome.spawn.parent_fds.clear();  // and the pipes
  loop.run();
  return outcome;
}

}  // namespace ps
