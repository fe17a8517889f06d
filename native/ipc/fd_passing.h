// File descriptors passed over a Unix stream socket (issue 19): SCM_RIGHTS ancillary data with
// sendmsg/recvmsg, the socketpair that carries them, and what a received socket is. Syscalls
// only: which message an fd belongs to, and who owns it, is decided by the caller.
#ifndef PROCESS_SPAWNER_IPC_FD_PASSING_H_
#define PROCESS_SPAWNER_IPC_FD_PASSING_H_

#include <stddef.h>
#include <sys/types.h>

#include <vector>

namespace ps {

// The most fds one message carries (the kernel's SCM_MAX_FD is 253).
constexpr size_t kMaxPassedFds = 16;

// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): fds[0] non-blocking (our end), fds[1] blocking
// (the child's, as a child expects its stdio). Returns 0 or an errno value.
int make_channel_socketpair(int fds[2]);

// sendmsg(MSG_NOSIGNAL | MSG_DONTWAIT) of `size` bytes, with `fds` attached to the first byte
// as SCM_RIGHTS when there are any. Returns the bytes the kernel took (all or part, never 0 for
// size > 0), or -errno (-EAGAIN when the socket's buffer is full). EINTR is retried.
ssize_t send_with_fds(int socket_fd, const void* data, size_t size, const int* fds, size_t fd_count);

struct Received {
  // Bytes read; 0 at EOF; -errno on failure (-EAGAIN: nothing to read now).
  ssize_t bytes = 0;
  // The fds that came with these bytes, already close-on-exec (MSG_CMSG_CLOEXEC): the caller
  // owns each and must close it or hand it on.
  std::vector<int> fds;
  // MSG_CTRUNC: the sender attached more fds than fit; those the kernel dropped are closed.
  bool truncated = false;
};

// recvmsg(MSG_CMSG_CLOEXEC | MSG_DONTWAIT) into `buffer`. A read never joins bytes sent with fds
// to bytes sent after them, so the fds belong to this read's data.
Received receive_with_fds(int socket_fd, void* buffer, size_t size);

// fcntl(F_DUPFD_CLOEXEC, 3): a copy of `fd` that the caller owns, or -errno.
int duplicate_fd(int fd);

// What a socket fd is, from getsockname and SO_TYPE: "tcp" (AF_INET/AF_INET6 stream), "udp4",
// "udp6", "unix" (AF_UNIX stream), or "other" (not a socket, or another kind).
const char* socket_kind(int fd);

}  // namespace ps

#endif  // PROCESS_SPAWNER_IPC_FD_PASSING_H_
