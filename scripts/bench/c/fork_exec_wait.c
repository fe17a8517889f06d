/* The floor for "spawn /bin/true and wait": fork, execve, waitpid in a loop, no pipes.
 * Prints the mean microseconds per spawn over the iterations given as argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 1000;
  char *child_argv[] = {"/bin/true", NULL};
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < iterations; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      execve("/bin/true", child_argv, environ);
      _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double micros = (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
  printf("%.3f\n", micros / iterations);
  return 0;
}
