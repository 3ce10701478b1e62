/*
 * spire_spawn: starts a task process with posix_spawn instead of Node's
 * fork + exec, and tells its exit through a pidfd on Node's own event loop.
 *
 * Why: on Linux, Node's child_process forks the whole Node process (page
 * tables and all) and blocks the event loop until the child has exec'd;
 * glibc's posix_spawn is a vfork (CLONE_VM | CLONE_VFORK): its cost does not
 * grow with the parent's memory, and the parent waits only for the exec.
 *
 * What the task sees is what Node's spawn(command, args, { cwd, env,
 * detached: true, stdio: ["ignore", "pipe", "pipe"] }) gives it (libuv's
 * uv__process_child_init): a session and process group of its own, stdin
 * from /dev/null, stdout and stderr apart, every signal 1–31 at its default
 * disposition and none blocked, exactly the given environment and argv, the
 * command looked up in the PATH of that environment (glibc's execvp, which
 * libuv calls after setting environ), and a file that is not a program run
 * by /bin/sh as execvp does. One difference: stdout and stderr are pipes,
 * where libuv makes socket pairs (so a task can open /dev/stdout).
 *
 * The exit: the addon reaps its children itself (libuv waits only for the
 * pids of its own process handles; nothing else would). A pidfd becomes
 * readable when the process has exited; a uv_poll_t on it calls waitpid and
 * then the JavaScript callback in the same callback, so the exit is told in
 * the same turn of the loop as the reap, as Node does.
 *
 * Linux only (pidfd_open: 5.3; posix_spawn_file_actions_addchdir_np: glibc
 * 2.29). Where it cannot build or load, Spire uses Node's spawn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* glibc's execvp uses this when the environment has no PATH (CS_PATH). */
#define DEFAULT_PATH "/bin:/usr/bin"
#define SHELL "/bin/sh"

typedef struct child {
  uv_poll_t poll;
  int pidfd;
  pid_t pid;
  napi_env env;
  napi_ref callback;
  struct child *prev, *next;
} child_t;

/* Per Node environment (the main thread, or a worker). */
typedef struct {
  napi_env env;
  napi_async_context async;
  child_t *children; /* waited for, so they can be let go at teardown */
} state_t;

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* ---------- JavaScript values in, C strings out ---------- */

static char *string_of(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text != NULL) napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

static void free_strings(char **list) {
  if (list == NULL) return;
  for (char **item = list; *item != NULL; item++) free(*item);
  free(list);
}

/* A NULL-terminated copy of an array of strings; NULL when it is not one. */
static char **strings_of(napi_env env, napi_value array) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  char **list = calloc(count + 1, sizeof(char *));
  if (list == NULL) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok || (list[i] = string_of(env, item)) == NULL) {
      free_strings(list);
      return NULL;
    }
  }
  return list;
}

/* ---------- starting ---------- */

typedef struct {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  char *const *argv;
  char *const *envp;
  const char *cwd;
} launch_t;

static int prepare(launch_t *launch, int out, int err) {
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  /* As libuv: 1–31 but KILL and STOP (which cannot be changed); real-time signals are glibc's. */
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
  int rc = posix_spawnattr_init(&launch->attr);
  if (rc != 0) return rc;
  rc = posix_spawn_file_actions_init(&launch->actions);
  if (rc != 0) return rc;
  short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if ((rc = posix_spawnattr_setflags(&launch->attr, flags)) != 0) return rc;
  if ((rc = posix_spawnattr_setsigmask(&launch->attr, &none)) != 0) return rc;
  if ((rc = posix_spawnattr_setsigdefault(&launch->attr, &defaults)) != 0) return rc;
  /* The order of libuv's child: stdio first, then the working directory. */
  if ((rc = posix_spawn_file_actions_addopen(&launch->actions, 0, "/dev/null", O_RDONLY, 0)) != 0) return rc;
  if ((rc = posix_spawn_file_actions_adddup2(&launch->actions, out, 1)) != 0) return rc;
  if ((rc = posix_spawn_file_actions_adddup2(&launch->actions, err, 2)) != 0) return rc;
  if (launch->cwd != NULL && (rc = posix_spawn_file_actions_addchdir_np(&launch->actions, launch->cwd)) != 0) return rc;
  return 0;
}

/* One exec of `path`; a file that is not a program goes to /bin/sh, as glibc's execvp does (maybe_script_execute). */
static int spawn_path(launch_t *launch, const char *path, pid_t *pid) {
  int rc = posix_spawn(pid, path, &launch->actions, &launch->attr, launch->argv, launch->envp);
  if (rc != ENOEXEC) return rc;
  size_t count = 0;
  while (launch->argv[count] != NULL) count++;
  char **script = calloc(count + 2, sizeof(char *));
  if (script == NULL) return ENOMEM;
  script[0] = SHELL;
  script[1] = (char *)path;
  for (size_t i = 1; i < count; i++) script[i + 1] = launch->argv[i];
  rc = posix_spawn(pid, SHELL, &launch->actions, &launch->attr, script, launch->envp);
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
static int spawn_search(launch_t *launch, const char *file, pid_t *pid) {
  if (file[0] == '\0') return ENOENT;
  if (strchr(file, '/') != NULL) return spawn_path(launch, file, pid);
  const char *path = NULL;
  for (char *const *entry = launch->envp; *entry != NULL; entry++)
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
    int absent = missing(buffer, launch->cwd);
    rc = absent != 0 ? absent : spawn_path(launch, buffer, pid);
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

/* ---------- the exit ---------- */

static void unlink_child(state_t *state, child_t *child) {
  if (child->prev != NULL) child->prev->next = child->next;
  else state->children = child->next;
  if (child->next != NULL) child->next->prev = child->prev;
  child->prev = child->next = NULL;
}

static void closed(uv_handle_t *handle) {
  child_t *child = handle->data;
  close(child->pidfd);
  free(child);
}

static void exited(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  child_t *child = poll->data;
  int wstatus = 0;
  pid_t reaped;
  do reaped = waitpid(child->pid, &wstatus, WNOHANG);
  while (reaped < 0 && errno == EINTR);
  if (reaped == 0) return; /* not yet: a wake-up without an exit */
  napi_env env = child->env;
  state_t *state;
  napi_get_instance_data(env, (void **)&state);
  unlink_child(state, child);
  uv_poll_stop(poll);
  napi_ref callback = child->callback;
  uv_close((uv_handle_t *)poll, closed);

  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, receiver, argv[2];
  napi_get_reference_value(env, callback, &fn);
  napi_delete_reference(env, callback);
  napi_get_global(env, &receiver); /* make_callback wants an object */
  if (reaped < 0) {
    /* Reaped by someone else (it cannot be: nothing else waits for these pids). Told as a lost status. */
    napi_get_null(env, &argv[0]);
    napi_get_null(env, &argv[1]);
  } else if (WIFSIGNALED(wstatus)) {
    napi_get_null(env, &argv[0]);
    napi_create_int32(env, WTERMSIG(wstatus), &argv[1]);
  } else {
    napi_create_int32(env, WEXITSTATUS(wstatus), &argv[0]);
    napi_get_null(env, &argv[1]);
  }
  /* make_callback: the microtasks and nextTicks queued by the listeners run before the loop goes on, as after Node's own events. */
  if (napi_make_callback(env, state->async, receiver, fn, 2, argv, NULL) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

/* Starts waiting for the exit of `pid`; an errno when it cannot. */
static int watch(napi_env env, state_t *state, pid_t pid, napi_value callback) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return EINVAL;
  child_t *child = calloc(1, sizeof(child_t));
  if (child == NULL) return ENOMEM;
  child->pidfd = pidfd_open(pid);
  if (child->pidfd < 0) {
    int error = errno;
    free(child);
    return error;
  }
  child->pid = pid;
  child->env = env;
  int rc = uv_poll_init(loop, &child->poll, child->pidfd);
  if (rc == 0) rc = uv_poll_start(&child->poll, UV_READABLE, exited);
  if (rc != 0) {
    close(child->pidfd);
    free(child);
    return -rc;
  }
  child->poll.data = child;
  napi_create_reference(env, callback, 1, &child->callback);
  child->next = state->children;
  if (child->next != NULL) child->next->prev = child;
  state->children = child;
  return 0;
}

/* ---------- spawn(file, argv, envp, cwd | null, onExit) → [pid, stdout fd, stderr fd] | errno ---------- */

static napi_value number(napi_env env, int value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

static void close_pair(int pair[2]) {
  if (pair[0] >= 0) close(pair[0]);
  if (pair[1] >= 0) close(pair[1]);
}

static int start(napi_env env, state_t *state, const char *file, launch_t *launch, napi_value on_exit, int fds[3]) {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  int rc = check_cwd(launch->cwd);
  if (rc != 0) return rc;
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    rc = errno;
    close_pair(out);
    close_pair(err);
    return rc;
  }
  pid_t pid = 0;
  rc = prepare(launch, out[1], err[1]);
  if (rc == 0) rc = spawn_search(launch, file, &pid);
  posix_spawn_file_actions_destroy(&launch->actions);
  posix_spawnattr_destroy(&launch->attr);
  close(out[1]);
  close(err[1]);
  if (rc == 0 && (rc = watch(env, state, pid, on_exit)) != 0) {
    /* Started but cannot be waited for (out of descriptors): it must not run unwatched. */
    kill(-pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return rc;
  }
  fds[0] = pid;
  fds[1] = out[0];
  fds[2] = err[0];
  return 0;
}

static napi_value spawn_task(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  state_t *state;
  napi_get_instance_data(env, (void **)&state);
  napi_valuetype cwd_type;
  napi_typeof(env, args[3], &cwd_type);
  char *file = string_of(env, args[0]);
  char **argv = strings_of(env, args[1]);
  char **envp = strings_of(env, args[2]);
  char *cwd = cwd_type == napi_string ? string_of(env, args[3]) : NULL;
  napi_value result = NULL;
  if (file == NULL || argv == NULL || envp == NULL || (cwd_type == napi_string && cwd == NULL)) {
    napi_throw_type_error(env, NULL, "spawn(file: string, argv: string[], envp: string[], cwd: string | null, onExit: function)");
  } else {
    launch_t launch = {.argv = argv, .envp = envp, .cwd = cwd};
    int fds[3];
    int rc = start(env, state, file, &launch, args[4], fds);
    if (rc != 0) {
      result = number(env, rc);
    } else {
      napi_create_array_with_length(env, 3, &result);
      for (uint32_t i = 0; i < 3; i++) napi_set_element(env, result, i, number(env, fds[i]));
    }
  }
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  return result;
}

/* ---------- the module ---------- */

/*
 * At teardown (a worker thread ending; runs before the instance data is
 * released, cleanup hooks going in reverse order): stop waiting; the
 * children run on, unreaped, as Node's own would.
 */
static void teardown(void *data) {
  state_t *state = data;
  for (child_t *child = state->children, *next; child != NULL; child = next) {
    next = child->next;
    uv_poll_stop(&child->poll);
    napi_delete_reference(child->env, child->callback);
    uv_close((uv_handle_t *)&child->poll, closed);
  }
  state->children = NULL;
  napi_async_destroy(state->env, state->async);
}

static void release(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* Why the native spawner cannot work here, or null: pidfd_open is probed once (ENOSYS before Linux 5.3). */
static napi_value unavailable(napi_env env) {
  napi_value result;
  int fd = pidfd_open(getpid());
  if (fd >= 0) {
    close(fd);
    napi_get_null(env, &result);
    return result;
  }
  const char *why = errno == ENOSYS ? "pidfd_open is not in this kernel (ENOSYS: Linux 5.3 or later needed)" : strerror(errno);
  napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &result);
  return result;
}

NAPI_MODULE_INIT() {
  state_t *state = calloc(1, sizeof(state_t));
  if (state == NULL) return NULL;
  state->env = env;
  napi_value name, fn;
  napi_create_string_utf8(env, "spire spawn", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &state->async);
  napi_set_instance_data(env, state, release, NULL);
  napi_add_env_cleanup_hook(env, teardown, state);
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn_task, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_set_named_property(env, exports, "unavailable", unavailable(env));
  return exports;
}
