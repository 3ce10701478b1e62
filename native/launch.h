/*
 * Starting one task process with posix_spawn, as Node's spawn(command, args,
 * { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] }) starts it
 * (see spawn.c for the whole story). Plain C: no Node, no libuv; safe to
 * call from any thread.
 */
#ifndef SPIRE_LAUNCH_H
#define SPIRE_LAUNCH_H

#include <sys/types.h>

typedef struct {
  /* What to start: the command (looked up in envp's PATH when it has no '/'), argv, envp, cwd (NULL: this one's). */
  const char *file;
  char *const *argv;
  char *const *envp;
  const char *cwd;
  /* What started: the pid, the read ends of its stdout and stderr (O_CLOEXEC), a pidfd to wait on. */
  pid_t pid;
  int out, err, pidfd;
} launch_t;

/* 0 when the process runs (its results filled in), else the errno of the failure (nothing left open or running). */
int launch_task(launch_t *launch);

/* pidfd_open(2), or -1 with errno (ENOSYS before Linux 5.3). */
int open_pidfd(pid_t pid);

#endif
