/* Shared by the C baselines that talk to a `cat` child: starts it with a pipe each way. */
#ifndef BENCH_CAT_CHILD_H
#define BENCH_CAT_CHILD_H

/* pipe2 and F_SETPIPE_SZ need _GNU_SOURCE, defined by the including file before any header. */
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

/* Starts cat with stdin from *to_cat and stdout to *from_cat (our ends); F_SETPIPE_SZ both
 * pipes when pipe_size > 0. Returns cat's pid, or -1. */
static pid_t start_cat(int pipe_size, int *to_cat, int *from_cat)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) return -1;
    if (pipe_size > 0 && (fcntl(in[1], F_SETPIPE_SZ, pipe_size) < 0 || fcntl(out[1], F_SETPIPE_SZ, pipe_size) < 0)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execlp("cat", "cat", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    *to_cat = in[1];
    *from_cat = out[0];
    return pid;
}

#endif
