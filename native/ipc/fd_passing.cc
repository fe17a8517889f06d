#include "ipc/fd_passing.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace ps {

int make_channel_socketpair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return errno;
  // Only our end: O_NONBLOCK lives in the open file description, which the child's end does not
  // share, and a child reads its stdio blocking.
  if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    int error = errno;
    close(fds[0]);
    close(fds[1]);
    return error;
  }
  return 0;
}

ssize_t send_with_fds(int socket_fd, const void* data, size_t size, const int* fds, size_t fd_count) {
  if (fd_count > kMaxPassedFds) return -EINVAL;
  struct iovec iov;
  iov.iov_base = const_cast<void*>(data);
  iov.iov_len = size;
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  // Aligned storage for the largest control message we send.
  union {
    char bytes[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
    struct cmsghdr align;
  } control;
  if (fd_count > 0) {
    memset(&control, 0, sizeof control);
    message.msg_control = control.bytes;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    memcpy(CMSG_DATA(header), fds, sizeof(int) * fd_count);
  }
  ssize_t sent;
  do {
    sent = sendmsg(socket_fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent < 0 ? -errno : sent;
}

Received receive_with_fds(int socket_fd, void* buffer, size_t size) {
  Received received;
  struct iovec iov;
  iov.iov_base = buffer;
  iov.iov_len = size;
  union {
    char bytes[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
    struct cmsghdr align;
  } control;
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.bytes;
  message.msg_controllen = sizeof control.bytes;
  ssize_t bytes;
  do {
    bytes = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (bytes < 0 && errno == EINTR);
  if (bytes < 0) {
    received.bytes = -errno;
    return received;
  }
  received.bytes = bytes;
  received.truncated = (message.msg_flags & MSG_CTRUNC) != 0;
  for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char* data = CMSG_DATA(header);
    for (size_t i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, data + i * sizeof(int), sizeof fd);
      received.fds.push_back(fd);
    }
  }
  return received;
}

int duplicate_fd(int fd) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return copy < 0 ? -errno : copy;
}

const char* socket_kind(int fd) {
  struct sockaddr_storage address;
  socklen_t address_size = sizeof address;
  int type = 0;
  socklen_t type_size = sizeof type;
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &address_size) != 0) return "other";
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_size) != 0) return "other";
  switch (address.ss_family) {
    case AF_INET:
      return type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ? "udp4" : "other";
    case AF_INET6:
      return type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ? "udp6" : "other";
    case AF_UNIX:
      return type == SOCK_STREAM ? "unix" : "other";
    default:
      return "other";
  }
}

}  // namespace ps
