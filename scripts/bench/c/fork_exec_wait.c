/* The floor for "spawn /bin/true and wait": fork, execve, waitpid in a loop, no pipes.
 *   fork_exec_wait <iterations> [in-flight]
 * With in-flight > 1, that many children run at once: each reaped child is replaced at once.
 * Prints the mean wall-clock microseconds per spawn. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_micros(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1e6 + now.tv_nsec / 1e3;
}

static int spawn_true(void)
{
    static char *child_argv[] = {"/bin/true", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execve("/bin/true", child_argv, environ);
        _exit(127);
    }
    return pid < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 1000;
    int in_flight = argc > 2 ? atoi(argv[2]) : 1;
    int started = 0, running = 0;
    double start = now_micros();
    while (started < iterations || running > 0) {
        while (running < in_flight && started < iterations) {
            if (spawn_true() < 0) return 1;
            started++;
            running++;
        }
        int status;
        if (wait(&status) < 0) return 1;
        running--;
    }
    printf("%.3f\n", (now_micros() - start) / iterations);
    return 0;
}
