/* The floor for a 1-byte round trip through a child: fork cat with a pipe each way, then write
 * one byte and block until it comes back, <round trips> times (after as many unmeasured ones).
 *   ping_pong <round trips>
 * Prints the mean microseconds per round trip. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cat_child.h"

static double now_micros(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1e6 + now.tv_nsec / 1e3;
}

static int round_trips(int to_cat, int from_cat, int count)
{
    char byte = 'x';
    for (int i = 0; i < count; i++) {
        if (write(to_cat, &byte, 1) != 1 || read(from_cat, &byte, 1) != 1) return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 10000;
    int to_cat, from_cat;
    pid_t pid = start_cat(0, &to_cat, &from_cat);
    if (pid < 0) return 1;
    if (round_trips(to_cat, from_cat, count) < 0) return 1;
    double start = now_micros();
    if (round_trips(to_cat, from_cat, count) < 0) return 1;
    double micros = (now_micros() - start) / count;
    close(to_cat);
    int status;
    waitpid(pid, &status, 0);
    printf("%.3f\n", micros);
    return 0;
}
