/* The floor for "push bytes through cat and read them back": fork cat with a pipe on its stdin
 * and one on its stdout, then write and read at the same time with poll() on non-blocking fds
 * (writing all first would deadlock once both pipes are full).
 *   pipe_cat <MiB> [pipe size in bytes, 0 = the kernel's default]
 * The pipe size is set with F_SETPIPE_SZ on both pipes. Prints MiB per second. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cat_child.h"

#define CHUNK (1 << 20)

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

/* Starts cat (cat_child.h) with both our ends non-blocking, for the poll loop. */
static pid_t start_nonblocking_cat(int pipe_size, int *to_cat, int *from_cat)
{
    pid_t pid = start_cat(pipe_size, to_cat, from_cat);
    if (pid < 0) return -1;
    fcntl(*to_cat, F_SETFL, O_NONBLOCK);
    fcntl(*from_cat, F_SETFL, O_NONBLOCK);
    return pid;
}

int main(int argc, char **argv)
{
    size_t total = (size_t)(argc > 1 ? atol(argv[1]) : 1024) << 20;
    int pipe_size = argc > 2 ? atoi(argv[2]) : 0;
    char *out_buffer = malloc(CHUNK), *in_buffer = malloc(CHUNK);
    if (out_buffer == NULL || in_buffer == NULL) return 1;
    memset(out_buffer, 0x5a, CHUNK);
    double start = now_seconds();
    int to_cat, from_cat;
    pid_t pid = start_nonblocking_cat(pipe_size, &to_cat, &from_cat);
    if (pid < 0) return 1;
    size_t written = 0, read_back = 0;
    while (read_back < total) {
        struct pollfd fds[2] = {{from_cat, POLLIN, 0}, {to_cat, POLLOUT, 0}};
        int count = written < total ? 2 : 1;
        if (poll(fds, count, -1) < 0 && errno != EINTR) return 1;
        if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR))) {
            size_t want = total - written < CHUNK ? total - written : CHUNK;
            ssize_t n = write(to_cat, out_buffer, want);
            if (n < 0 && errno != EAGAIN) return 1;
            if (n > 0) written += (size_t)n;
            if (written == total) close(to_cat);
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(from_cat, in_buffer, CHUNK);
            if (n < 0 && errno != EAGAIN) return 1;
            if (n == 0) break;
            if (n > 0) read_back += (size_t)n;
        }
    }
    int status;
    waitpid(pid, &status, 0);
    double seconds = now_seconds() - start;
    if (read_back != total) return 1;
    printf("%.1f\n", (double)total / (1 << 20) / seconds);
    return 0;
}
