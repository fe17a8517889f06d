// Children whose JavaScript thread has gone away before they ended.
//
// A worker_thread that ends (or is terminated) may leave children of its own running. Nobody in
// JavaScript is left to hear their exit, but they must not stay zombies for the rest of the
// process's life. They are handed over here, with their pidfds, to a helper thread that reaps
// them as they exit, whatever JavaScript thread is left and whoever holds SIGCHLD.
//
// Nothing the helper thread touches is ever destroyed: its state is allocated once and never
// freed (no static destructor can run under it at process exit), and the object is never
// unmapped (-z nodelete). It is started only for a worker_thread's orphans, never while the
// process itself is ending: the main thread's children are left to init when the process exits.
#ifndef PROCESS_SPAWNER_EXITS_ORPHANS_H_
#define PROCESS_SPAWNER_EXITS_ORPHANS_H_

#include <stddef.h>
#include <sys/types.h>

namespace ps {

struct Orphan {
  pid_t pid;
  int pidfd;  // -1 without one; owned by the orphanage from the hand-over
};

// Takes over `orphans` (their pidfds included) and makes sure the helper thread is running.
void adopt_orphans(const Orphan* orphans, size_t count);

// How many orphans are waiting to be reaped (for tests).
size_t orphans_waiting();

}  // namespace ps

#endif  // PROCESS_SPAWNER_EXITS_ORPHANS_H_
