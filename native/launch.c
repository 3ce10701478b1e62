/*
 * posix_spawn with what libuv's child does between its fork and its exec
 * (uv__process_child_init): setsid, stdin from /dev/null, stdout and stderr
 * to pipes, chdir, every signal 1–31 at its default disposition, an empty
 * signal mask, then execvp with the task's environment as environ.
 */
#define _GNU_SOURCE
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* glibc's execvp uses this when the environment has no PATH (CS_PATH). */
#define DEFAULT_PATH "/bin:/usr/bin"
#define SHELL "/bin/sh"

typedef struct {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  launch_t *task;
} plan_t;

int open_pidfd(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static int prepare(plan_t *plan, int out, int err) {
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  /* As libuv: 1–31 but KILL and STOP (which cannot be changed); real-time signals are left as they are. */
  for (int n = 1; n < 32; n++)
    if (n != SIGKILL && n != SIGSTOP) sigaddset(&defaults, n);
  /*
   * glibc's child sets its two internal signals (32, 33) to SIG_IGN unless
   * they are in this set, and an ignored signal stays ignored across exec;
   * a forked child leaves them at their default. sigaddset refuses them, so
   * their bits are set directly (sigset_t is a bit mask, signal n at bit n - 1).
   */
  for (int n = 32; n <= 33 && n < SIGRTMIN; n++)
    ((unsigned long *)&defaults)[(n - 1) / (8 * sizeof(unsigned long))] |= 1UL << ((n - 1) % (8 * sizeof(unsigned long)));
  int rc;
  short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if ((rc = posix_spawnattr_setflags(&plan->attr, flags)) != 0) return rc;
  if ((rc = posix_spawnattr_setsigmask(&plan->attr, &none)) != 0) return rc;
  if ((rc = posix_spawnattr_setsigdefault(&plan->attr, &defaults)) != 0) return rc;
  /* The order of libuv's child: stdio first, then the working directory. */
  if ((rc = posix_spawn_file_actions_addopen(&plan->actions, 0, "/dev/null", O_RDONLY, 0)) != 0) return rc;
  if ((rc = posix_spawn_file_actions_adddup2(&plan->actions, out, 1)) != 0) return rc;
  if ((rc = posix_spawn_file_actions_adddup2(&plan->actions, err, 2)) != 0) return rc;
  if (plan->task->cwd != NULL && (rc = posix_spawn_file_actions_addchdir_np(&plan->actions, plan->task->cwd)) != 0) return rc;
  return 0;
}

/* One exec of `path`; a file that is not a program goes to /bin/sh, as glibc's execvp does (maybe_script_execute). */
static int spawn_path(plan_t *plan, const char *path) {
  launch_t *task = plan->task;
  int rc = posix_spawn(&task->pid, path, &plan->actions, &plan->attr, task->argv, task->envp);
  if (rc != ENOEXEC) return rc;
  size_t count = 0;
  while (task->argv[count] != NULL) count++;
  char **script = calloc(count + 2, sizeof(char *));
  if (script == NULL) return ENOMEM;
  script[0] = SHELL;
  script[1] = (char *)path;
  for (size_t i = 1; i < count; i++) script[i + 1] = task->argv[i];
  rc = posix_spawn(&task->pid, SHELL, &plan->actions, &plan->attr, script, task->envp);
  free(script);
  return rc;
}

/* Whether `path` (relative ones from the task's cwd) is certainly missing: then execve would fail with ENOENT or ENOTDIR. */
static int missing(const char *path, const char *cwd) {
  struct stat info;
  int rc;
  if (path[0] == '/' || cwd == NULL) {
    rc = stat(path, &info);
  } else {
    char *joined = malloc(strlen(cwd) + strlen(path) + 2);
    if (joined == NULL) return 0;
    strcpy(joined, cwd);
    strcat(joined, "/");
    strcat(joined, path);
    rc = stat(joined, &info);
    free(joined);
  }
  return rc != 0 && (errno == ENOENT || errno == ENOTDIR) ? errno : 0;
}

/*
 * glibc's execvpe search (posix/execvpe.c), each try a posix_spawn: PATH
 * from the task's environment, an empty entry is the working directory,
 * EACCES remembered and the search goes on, other errors end it. Entries
 * where the file is missing are skipped without a spawn (execve would only
 * say ENOENT there).
 */
static int spawn_search(plan_t *plan) {
  const char *file = plan->task->file;
  if (file[0] == '\0') return ENOENT;
  if (strchr(file, '/') != NULL) return spawn_path(plan, file);
  const char *path = NULL;
  for (char *const *entry = plan->task->envp; *entry != NULL; entry++)
    if (strncmp(*entry, "PATH=", 5) == 0) {
      path = *entry + 5;
      break;
    }
  if (path == NULL) path = DEFAULT_PATH;
  size_t file_length = strnlen(file, NAME_MAX + 1);
  if (file_length > NAME_MAX) return ENAMETOOLONG;
  char *buffer = malloc(strlen(path) + file_length + 2);
  if (buffer == NULL) return ENOMEM;
  int got_eacces = 0, rc = ENOENT;
  for (const char *entry = path;; entry++) {
    const char *end = strchrnul(entry, ':');
    size_t length = (size_t)(end - entry);
    memcpy(buffer, entry, length);
    if (length > 0) buffer[length++] = '/';
    memcpy(buffer + length, file, file_length + 1);
    int absent = missing(buffer, plan->task->cwd);
    rc = absent != 0 ? absent : spawn_path(plan, buffer);
    if (rc == 0) break;
    if (rc == EACCES) got_eacces = 1;
    else if (rc != ENOENT && rc != ESTALE && rc != ENOTDIR && rc != ENODEV && rc != ETIMEDOUT) break;
    if (*end == '\0') break;
    entry = end;
  }
  free(buffer);
  return rc != 0 && got_eacces ? EACCES : rc;
}

/*
 * The working directory is checked first, as libuv's child changes to it
 * before the exec: a missing one is its ENOENT/ENOTDIR even when the
 * command is not found either.
 */
static int check_cwd(const char *cwd) {
  if (cwd == NULL) return 0;
  int fd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

static void close_pair(int pair[2]) {
  if (pair[0] >= 0) close(pair[0]);
  if (pair[1] >= 0) close(pair[1]);
}

int launch_task(launch_t *task) {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  int rc = check_cwd(task->cwd);
  if (rc != 0) return rc;
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    rc = errno;
    close_pair(out);
    close_pair(err);
    return rc;
  }
  plan_t plan = {.task = task};
  if ((rc = posix_spawnattr_init(&plan.attr)) == 0) {
    if ((rc = posix_spawn_file_actions_init(&plan.actions)) == 0) {
      rc = prepare(&plan, out[1], err[1]);
      if (rc == 0) rc = spawn_search(&plan);
      posix_spawn_file_actions_destroy(&plan.actions);
    }
    posix_spawnattr_destroy(&plan.attr);
  }
  close(out[1]);
  close(err[1]);
  if (rc == 0 && (task->pidfd = open_pidfd(task->pid)) < 0) {
    /* Started but cannot be waited for (out of descriptors): it must not run unwatched. */
    rc = errno;
    kill(-task->pid, SIGKILL);
    while (waitpid(task->pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return rc;
  }
  task->out = out[0];
  task->err = err[0];
  return 0;
}
