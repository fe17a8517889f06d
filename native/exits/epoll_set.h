// What the exit watcher and the orphanage both do with a reaped child's pidfd.
#ifndef PROCESS_SPAWNER_EXITS_EPOLL_SET_H_
#define PROCESS_SPAWNER_EXITS_EPOLL_SET_H_

#include <sys/epoll.h>
#include <unistd.h>

namespace ps {

// Removes `fd` from the epoll set, then closes it. close() alone is not enough: epoll drops a
// registration only when every fd of the open file is closed, and a child that a copying clone
// has just made holds copies of ours until its exec. Until then the closed pidfd would keep
// waking the set.
inline void stop_watching(int epoll_fd, int fd) {
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
}

}  // namespace ps

#endif  // PROCESS_SPAWNER_EXITS_EPOLL_SET_H_
