/*
 * The floor for bench/dag: a graph of tasks run with posix_spawn, P at a
 * time, each as COMMAND ARGS..., where an argument `{}` becomes the task's
 * name (so that a check run can record which ran; a timed run passes none:
 * coreutils' `true` given an argument sets up its locale, +0.1 ms a task).
 * Exits non-zero when a task fails.
 *
 * Graph file: the number of tasks, then one line per task:
 *   NAME K DEP1 ... DEPK      (dependencies as 0-based line indices)
 *
 *   dag_spawn GRAPH P COMMAND [ARGS...]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s GRAPH P COMMAND [ARGS...]\n", argv[0]); return 2; }
  FILE *file = fopen(argv[1], "r");
  int total = 0, parallel = atoi(argv[2]);
  if (file == NULL || fscanf(file, "%d", &total) != 1 || total <= 0 || parallel <= 0) { fprintf(stderr, "bad graph or parallelism\n"); return 2; }
  char (*names)[32] = calloc(total, 32);
  int *waiting = calloc(total, sizeof(int));
  int **needs = calloc(total, sizeof(int *));
  int *dependent_count = calloc(total, sizeof(int));
  for (int task = 0; task < total; task++) {
    if (fscanf(file, "%31s %d", names[task], &waiting[task]) != 2) { fprintf(stderr, "bad graph line %d\n", task + 1); return 2; }
    needs[task] = calloc(waiting[task] + 1, sizeof(int));
    for (int k = 0; k < waiting[task]; k++) {
      if (fscanf(file, "%d", &needs[task][k]) != 1 || needs[task][k] < 0 || needs[task][k] >= total) { fprintf(stderr, "bad dependency on line %d\n", task + 1); return 2; }
      dependent_count[needs[task][k]]++;
    }
  }
  fclose(file);
  /* Reverse edges: who becomes ready when a task ends. */
  int **dependents = calloc(total, sizeof(int *));
  int *filled = calloc(total, sizeof(int));
  for (int task = 0; task < total; task++) dependents[task] = calloc(dependent_count[task] + 1, sizeof(int));
  for (int task = 0; task < total; task++)
    for (int k = 0; k < waiting[task]; k++) { int dep = needs[task][k]; dependents[dep][filled[dep]++] = task; }

  int *ready = calloc(total, sizeof(int)), head = 0, tail = 0;
  for (int task = 0; task < total; task++) if (waiting[task] == 0) ready[tail++] = task;
  pid_t *running_pid = calloc(parallel, sizeof(pid_t));
  int *running_task = calloc(parallel, sizeof(int));
  int running = 0, done = 0, fixed = argc - 3, name_at = -1;
  char **child_argv = calloc(fixed + 1, sizeof(char *));
  for (int k = 0; k < fixed; k++) {
    child_argv[k] = argv[3 + k];
    if (strcmp(argv[3 + k], "{}") == 0) name_at = k;
  }

  while (done < total) {
    while (running < parallel && head < tail) {
      int task = ready[head++];
      if (name_at >= 0) child_argv[name_at] = names[task];
      pid_t pid;
      if (posix_spawnp(&pid, argv[3], NULL, NULL, child_argv, environ) != 0) { perror("posix_spawnp"); return 1; }
      running_pid[running] = pid;
      running_task[running] = task;
      running++;
    }
    if (running == 0) { fprintf(stderr, "%d of %d tasks never became ready (a cycle?)\n", total - done, total); return 1; }
    int status;
    pid_t pid = wait(&status);
    if (pid < 0) { perror("wait"); return 1; }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "a task failed\n"); return 1; }
    for (int slot = 0; slot < running; slot++) {
      if (running_pid[slot] != pid) continue;
      int task = running_task[slot];
      running--;
      running_pid[slot] = running_pid[running];
      running_task[slot] = running_task[running];
      done++;
      for (int k = 0; k < dependent_count[task]; k++)
        if (--waiting[dependents[task][k]] == 0) ready[tail++] = dependents[task][k];
      break;
    }
  }
  return 0;
}
