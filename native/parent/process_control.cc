#include "process_control.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace ps {

int set_child_subreaper() {
  return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

pid_t foreground_process_group(int fd) {
  pid_t pgid = tcgetpgrp(fd);
  return pgid >= 0 ? pgid : -errno;
}

int set_foreground_process_group(int fd, pid_t pgid) {
  // A process outside the foreground group that calls tcsetpgrp gets SIGTTOU (stopped by
  // default) unless it blocks or ignores it: block it for this one call, on this thread only.
  sigset_t ttou, previous;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &previous);
  int error = tcsetpgrp(fd, pgid) == 0 ? 0 : errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return error;
}

}  // namespace ps
