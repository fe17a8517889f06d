#include "exits/orphans.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <vector>

#include "exits/epoll_set.h"
#include "exits/reap.h"

namespace ps {

namespace {

// Without pidfds, how long an orphan's exit may wait for the helper thread to notice it.
constexpr int kPollWithoutPidfdMs = 100;
constexpr int kEventsPerWait = 64;

// Allocated once, never freed (see orphans.h): safe for the helper thread at any point of the
// process's exit.
struct Orphanage {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  int epoll_fd = -1;            // the orphans' pidfds; -1 while there is no orphan
  size_t watched = 0;           // orphans in the epoll set
  std::vector<Orphan> polled;   // orphans without a pidfd (or whose pidfd epoll refused)
  bool thread_running = false;
};

Orphanage* orphanage() {
  static Orphanage* const instance = new Orphanage;
  return instance;
}

class OrphanageLock {
 public:
  explicit OrphanageLock(Orphanage* orphanage) : mutex_(&orphanage->mutex) { pthread_mutex_lock(mutex_); }
  ~OrphanageLock() { pthread_mutex_unlock(mutex_); }
  OrphanageLock(const OrphanageLock&) = delete;
  OrphanageLock& operator=(const OrphanageLock&) = delete;

 private:
  pthread_mutex_t* mutex_;
};

uint64_t epoll_key(const Orphan& orphan) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(orphan.pid)) << 32) | static_cast<uint32_t>(orphan.pidfd);
}

Orphan from_epoll_key(uint64_t key) {
  return {static_cast<pid_t>(key >> 32), static_cast<int>(key & 0xffffffffu)};
}

// Under the lock.
void watch_locked(Orphanage* home, const Orphan& orphan) {
  if (orphan.pidfd >= 0) {
    if (home->epoll_fd < 0) home->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {};
    event.events = EPOLLIN;
    event.data.u64 = epoll_key(orphan);
    if (home->epoll_fd >= 0 && epoll_ctl(home->epoll_fd, EPOLL_CTL_ADD, orphan.pidfd, &event) == 0) {
      home->watched++;
      return;
    }
  }
  home->polled.push_back(orphan);
}

// Under the lock: reaps the watched orphans whose pidfd is readable, and the polled ones that
// have exited, and closes their pidfds.
void reap_exited_locked(Orphanage* home) {
  struct epoll_event events[kEventsPerWait];
  int ready;
  while (home->watched > 0 && (ready = epoll_wait(home->epoll_fd, events, kEventsPerWait, 0)) > 0) {
    for (int i = 0; i < ready; i++) {
      const Orphan orphan = from_epoll_key(events[i].data.u64);
      ExitStatus ignored;
      if (!reap_if_exited(orphan.pid, orphan.pidfd, &ignored)) continue;
      stop_watching(home->epoll_fd, orphan.pidfd);
      home->watched--;
    }
    if (ready < kEventsPerWait) break;
  }
  std::vector<Orphan> running;
  for (const Orphan& orphan : home->polled) {
    ExitStatus ignored;
    if (!reap_if_exited(orphan.pid, orphan.pidfd, &ignored)) {
      running.push_back(orphan);
    } else if (orphan.pidfd >= 0) {
      close(orphan.pidfd);
    }
  }
  home->polled.swap(running);
}

void* reap_orphans_until_none_left(void*) {
  Orphanage* home = orphanage();
  for (;;) {
    int wait_fd;  // the epoll set to wait on, or -1 to sleep: read under the lock, like all of `home`
    int timeout_ms;
    {
      OrphanageLock lock(home);
      reap_exited_locked(home);
      if (home->watched == 0 && home->polled.empty()) {
        // Nothing is left to watch: the epoll set goes too, and the next orphan makes a new one.
        if (home->epoll_fd >= 0) close(home->epoll_fd);
        home->epoll_fd = -1;
        home->thread_running = false;
        return nullptr;
      }
      wait_fd = home->watched > 0 ? home->epoll_fd : -1;
      timeout_ms = home->polled.empty() ? -1 : kPollWithoutPidfdMs;
    }
    // Only waits: the events stay ready (level-triggered) for the reap above. The set itself is
    // closed only by this thread, above, so wait_fd stays valid outside the lock.
    struct epoll_event event;
    if (wait_fd >= 0) {
      epoll_wait(wait_fd, &event, 1, timeout_ms);
    } else {
      usleep(kPollWithoutPidfdMs * 1000);
    }
  }
}

// Under the lock. With every signal blocked, so that no signal meant for a JavaScript thread is
// handled on this one. If the thread cannot be made, the orphans wait for the next adoption.
void start_thread_locked(Orphanage* home) {
  if (home->thread_running) return;
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  home->thread_running = pthread_create(&thread, &attributes, reap_orphans_until_none_left, nullptr) == 0;
  pthread_attr_destroy(&attributes);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace

void adopt_orphans(const Orphan* orphans, size_t count) {
  if (count == 0) return;
  Orphanage* home = orphanage();
  OrphanageLock lock(home);
  for (size_t i = 0; i < count; i++) watch_locked(home, orphans[i]);
  start_thread_locked(home);
}

size_t orphans_waiting() {
  Orphanage* home = orphanage();
  OrphanageLock lock(home);
  return home->watched + home->polled.size();
}

}  // namespace ps
