/* The floor for "spawn /bin/true from a parent that holds a lot of memory": the parent first
 * mallocs and writes <MiB> MiB (so every page is resident and mapped in its page tables), then
 * loops vfork (or fork, for comparison), execve, waitpid.
 *   vfork_exec_wait <iterations> <MiB> [vfork|fork]
 * vfork shares the parent's address space, so its cost does not grow with the parent's memory;
 * fork copies the page tables, so it does. Prints the mean microseconds per spawn. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static pid_t spawn_true(int use_vfork)
{
    static char *child_argv[] = {"/bin/true", NULL};
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid == 0) {
        execve("/bin/true", child_argv, environ);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 1000;
    size_t bytes = (size_t)(argc > 2 ? atol(argv[2]) : 1024) << 20;
    int use_vfork = argc <= 3 || strcmp(argv[3], "fork") != 0;
    char *held = malloc(bytes);
    if (held == NULL) return 1;
    memset(held, 0x5a, bytes);
    double start = now_micros();
    for (int i = 0; i < iterations; i++) {
        int status;
        pid_t pid = spawn_true(use_vfork);
        if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
    }
    printf("%.3f\n", (now_micros() - start) / iterations);
    free(held);
    return 0;
}
