/* Reference rate: N runs of a command with posix_spawn, P at a time, output to /dev/null. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s N P command [args...]\n", argv[0]); return 2; }
  int total = atoi(argv[1]), parallel = atoi(argv[2]), started = 0, running = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (started < total || running > 0) {
    while (started < total && running < parallel) {
      pid_t pid;
      if (posix_spawnp(&pid, argv[3], &actions, NULL, argv + 3, environ) != 0) { perror("posix_spawnp"); return 1; }
      started++; running++;
    }
    int status;
    if (wait(&status) > 0) running--;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.3f\n", seconds * 1000.0);
  return 0;
}
