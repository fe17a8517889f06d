// What the process-spawner command asks of the kernel about itself, not about a child: to adopt
// orphaned descendants, and which process group owns the terminal.
#ifndef PROCESS_SPAWNER_PROCESS_CONTROL_H_
#define PROCESS_SPAWNER_PROCESS_CONTROL_H_

#include <sys/types.h>

namespace ps {

// prctl(PR_SET_CHILD_SUBREAPER, 1): descendants orphaned by setsid or a double fork are
// re-parented to us instead of init. Returns 0 or an errno value.
int set_child_subreaper();

// tcgetpgrp(fd): the terminal's foreground process group, or -errno.
pid_t foreground_process_group(int fd);

// tcsetpgrp(fd, pgid) with SIGTTOU blocked, so that a background caller (us, once the child's
// group has the terminal) can take it back. Returns 0 or an errno value.
int set_foreground_process_group(int fd, pid_t pgid);

}  // namespace ps

#endif  // PROCESS_SPAWNER_PROCESS_CONTROL_H_
