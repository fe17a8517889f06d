// One JavaScript thread's children, and how the thread learns that they ended.
//
// Each child's pidfd goes into one epoll set per thread, and the thread's event loop watches that
// set (a uv_poll on the epoll fd). When it becomes readable, one epoll_wait returns exactly the
// children that have exited; each is reaped with waitid(P_PIDFD) and reported. The work per exit
// does not depend on how many children are alive, and an exit is heard whoever holds SIGCHLD:
// child_process (libuv) replacing the handler, or resetting it to SIG_DFL, changes nothing.
//
// The SIGCHLD self-pipe (sigchld.h) is in the same epoll set. Where the kernel gives no pidfds
// (before Linux 5.2) it is what wakes the thread, which then asks each child without a pidfd with
// wait4(pid, WNOHANG); while another handler holds SIGCHLD, a 50 ms timer does the asking.
//
// Everything here runs on the thread's own loop, except signal(), which is also only called from
// that thread.
#ifndef PROCESS_SPAWNER_EXITS_EXIT_WATCHER_H_
#define PROCESS_SPAWNER_EXITS_EXIT_WATCHER_H_

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "exits/reap.h"

namespace ps {

class ExitWatcher {
 public:
  struct Exit {
    uint64_t key;  // what add() was given
    ExitStatus status;
  };
  // Called on the loop's thread with the children that have just been reaped (at least one).
  using Listener = void (*)(void* context, const std::vector<Exit>& exits);

  // Opens the epoll set and the self-pipe, installs the SIGCHLD handler if SIGCHLD has none, and
  // starts watching on `loop`. Returns 0 or an errno value.
  static int open(uv_loop_t* loop, Listener listener, void* context, ExitWatcher** watcher);

  // Takes `pidfd` (-1: none) and watches the child until it is reaped. A child that cannot join
  // the epoll set (no pidfd, or epoll_ctl refused it) is asked whether it has exited instead,
  // through its pidfd where it has one, each time SIGCHLD wakes the self-pipe or the tick runs.
  void add(uint64_t key, pid_t pid, int pidfd);

  // Sends a signal to a child that has not been reaped: through its pidfd (see reap.h).
  // ESRCH for a key that is not (or no longer) watched.
  int signal(uint64_t key, int signal);

  // Whether the event loop stays alive while children are watched (ChildProcess.ref()/unref()).
  void hold_loop(bool held);

  size_t size() const { return children_.size(); }

  // At the thread's teardown: gives the children not reaped yet to the orphanage (or, when the
  // process is ending, only closes their pidfds), closes the epoll set and the self-pipe, and
  // deletes this watcher once libuv has closed its handles, then calls `closed(context)`.
  void close(bool hand_over_children, void (*closed)(void*), void* context);

 private:
  struct Child {
    pid_t pid;
    int pidfd;
  };

  ExitWatcher(Listener listener, void* context) : listener_(listener), context_(context) {}
  ~ExitWatcher();
  int start(uv_loop_t* loop);

  static void on_readable(uv_poll_t* poll, int status, int events);
  static void on_tick(uv_timer_t* timer);
  static void on_handle_closed(uv_handle_t* handle);

  void collect_pidfd_exits(std::vector<Exit>* exits);
  void collect_exits_by_pid(std::vector<Exit>* exits);
  void drain_self_pipe();
  void report(std::vector<Exit>* exits);
  void update_tick();

  Listener listener_;
  void* context_;
  int epoll_fd_ = -1;
  int self_pipe_read_ = -1;
  int self_pipe_write_ = -1;
  std::unordered_map<uint64_t, Child> children_;
  // The children not in the epoll set (no pidfd, or epoll refused it): asked with
  // reap_if_exited (waitid on the pidfd, or wait4 on the pid).
  std::unordered_set<uint64_t> asked_by_pid_;
  uv_poll_t poll_;
  uv_timer_t tick_;
  int handles_open_ = 0;
  void (*closed_)(void*) = nullptr;
  void* closed_context_ = nullptr;
};

}  // namespace ps

#endif  // PROCESS_SPAWNER_EXITS_EXIT_WATCHER_H_
