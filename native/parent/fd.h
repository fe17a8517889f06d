// Small fd helpers for the parent side: an owning wrapper and EINTR-safe calls.
// Nothing here is used between fork and exec; the child path has its own plain calls.
#ifndef PROCESS_SPAWNER_FD_H_
#define PROCESS_SPAWNER_FD_H_

#include <sys/types.h>

namespace ps {

// Owns one file descriptor and closes it exactly once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership: the caller now closes the fd.
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// pipe2(O_CLOEXEC) into two owning fds. Returns 0 or an errno value.
int make_cloexec_pipe(UniqueFd* read_end, UniqueFd* write_end);

// fcntl(F_SETFL, O_NONBLOCK). Returns 0 or an errno value.
int set_nonblocking(int fd);

// read() that retries on EINTR and stops at EOF or after `size` bytes.
// Returns the bytes read, or -errno.
ssize_t read_fully(int fd, void* buffer, size_t size);

}  // namespace ps

#endif  // PROCESS_SPAWNER_FD_H_
