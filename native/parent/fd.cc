#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

namespace ps {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  // close() is not retried on EINTR: on Linux the fd is released even when close reports EINTR,
  // and a retry could close an fd another thread has just been given.
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

int make_cloexec_pipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return 0;
}

int set_nonblocking(int fd) {
  // A pipe's status flags are only its access mode and what we set, so one F_SETFL is enough.
  return fcntl(fd, F_SETFL, O_NONBLOCK) == 0 ? 0 : errno;
}

ssize_t read_fully(int fd, void* buffer, size_t size) {
  char* out = static_cast<char*>(buffer);
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, out + done, size - done);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

}  // namespace ps
