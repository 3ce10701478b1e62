/*
 * spire_spawn: starts task processes with posix_spawn instead of Node's
 * fork + exec, off the event loop's thread, and tells their exits through
 * pidfds on Node's own event loop.
 *
 * Why: on Linux, Node's child_process forks the whole Node process (page
 * tables and all) and blocks the event loop until the child has exec'd.
 * glibc's posix_spawn is a vfork (CLONE_VM | CLONE_VFORK): its cost does not
 * grow with the parent's memory. It still blocks its caller until the child
 * has exec'd, which on a busy machine is mostly the wait for a core to run
 * the child on (measured: 0.3 ms median, several ms at the 90th percentile);
 * so the spawns run on a thread of their own, and the event loop goes on
 * meanwhile. That thread has its own umask (unshare(CLONE_FS)), the user's,
 * so Spire's process keeps its private 077 all along; where unshare is
 * refused (a seccomp filter), spawns run on the loop's thread with the
 * user's umask put back around each one, as Node's spawn is run.
 *
 * What the task sees is what Node's spawn(command, args, { cwd, env,
 * detached: true, stdio: ["ignore", "pipe", "pipe"] }) gives it (libuv's
 * uv__process_child_init; see launch.c): a session and process group of
 * its own, stdin from /dev/null, stdout and stderr apart, every signal 1–31
 * at its default disposition and none blocked, exactly the given
 * environment and argv, the command looked up in the PATH of that
 * environment (glibc's execvp, which libuv calls after setting environ),
 * and a file that is not a program run by /bin/sh as execvp does. One
 * difference: stdout and stderr are pipes, where libuv makes socket pairs
 * (so a task can open /dev/stdout).
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
#include "call-js.h"
#include "folders.h"
#include "launch.h"
#include "memory.h"
#include "output.h"

#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

/* One spawn asked for, from the call until its start is told. */
typedef struct job {
  launch_t task;
  char *file, *cwd;
  char **argv, **envp;
  mode_t mask;
  int rc;
  napi_ref on_started, on_exit;
  struct job *next;
} job_t;

/* A started process, waited for. */
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
  child_t *children;
  /*
   * The spawner thread's "done" for the loop. A handle of its own, not part
   * of this state: Node frees the state (release) right after the cleanup
   * hooks, and its loop may close the handle only after that; in this state,
   * the handle was then closed in freed memory (libuv's "uv__finish_close:
   * Assertion `0' failed" as a process ended). It is freed by its close,
   * with libc's free: in a worker, this addon's own code may be unloaded by then.
   */
  uv_async_t *started;
  int in_flight;
  pthread_t thread;
  /* 0 not yet started, 1 running with its own umask, -1 none (spawns run on the loop's thread). */
  int thread_state;
  int stopping;
  pthread_mutex_t lock;
  pthread_cond_t wake, ready;
  job_t *todo, *todo_tail, *done, *done_tail;
} state_t;

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

/*
 * The environment: one string of NUL-separated entries, so that crossing
 * into C is one conversion, not two per variable (a task's environment is
 * the engine's, some 30–60 entries). An array of strings is taken as well.
 */
static char **environment_of(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return NULL;
  if (type != napi_string) return strings_of(env, value);
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  size_t count = 0;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  for (size_t at = 0; at < length; at++) count += text[at] == '\0';
  char **list = calloc(count + 2, sizeof(char *));
  if (list == NULL) {
    free(text);
    return NULL;
  }
  /* Each entry its own allocation, as free_strings expects. */
  size_t item = 0;
  for (size_t start = 0; start < length;) {
    size_t end = start;
    while (end < length && text[end] != '\0') end++;
    if ((list[item] = strndup(text + start, end - start)) == NULL) {
      free(text);
      free_strings(list);
      return NULL;
    }
    item++;
    start = end + 1;
  }
  free(text);
  return list;
}

static void free_job(napi_env env, job_t *job) {
  free(job->file);
  free(job->cwd);
  free_strings(job->argv);
  free_strings(job->envp);
  if (job->on_started != NULL) napi_delete_reference(env, job->on_started);
  if (job->on_exit != NULL) napi_delete_reference(env, job->on_exit);
  free(job);
}

/* ---------- the spawner thread ---------- */

static void push(job_t **head, job_t **tail, job_t *job) {
  job->next = NULL;
  if (*tail != NULL) (*tail)->next = job;
  else *head = job;
  *tail = job;
}

static void *spawner(void *data) {
  state_t *state = data;
  /* Signals are for the loop's thread; a child's mask is set apart (POSIX_SPAWN_SETSIGMASK). */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  /* A umask of this thread's own, which the children it spawns inherit: the process's stays as it is. */
  int own = unshare(CLONE_FS) == 0;
  pthread_mutex_lock(&state->lock);
  state->thread_state = own ? 1 : -1;
  pthread_cond_broadcast(&state->ready);
  while (own) {
    while (state->todo == NULL && !state->stopping) pthread_cond_wait(&state->wake, &state->lock);
    job_t *job = state->todo;
    if (job == NULL) break; /* stopping, and nothing left to start */
    state->todo = job->next;
    if (state->todo == NULL) state->todo_tail = NULL;
    pthread_mutex_unlock(&state->lock);
    umask(job->mask);
    job->rc = launch_task(&job->task);
    pthread_mutex_lock(&state->lock);
    push(&state->done, &state->done_tail, job);
    uv_async_send(state->started);
  }
  pthread_mutex_unlock(&state->lock);
  return NULL;
}

/* Starts the thread at the first spawn, and waits to know whether it has a umask of its own. */
static int thread_ready(state_t *state) {
  if (state->thread_state == 0) {
    pthread_mutex_lock(&state->lock);
    int created = pthread_create(&state->thread, NULL, spawner, state) == 0;
    if (!created) state->thread_state = -1;
    while (state->thread_state == 0) pthread_cond_wait(&state->ready, &state->lock);
    pthread_mutex_unlock(&state->lock);
    if (created && state->thread_state == -1) pthread_join(state->thread, NULL); /* it ended at once */
  }
  return state->thread_state == 1;
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
  struct rusage usage;
  pid_t reaped;
  /* wait4: what it used comes with the status (the task's figures for Spire, with no read of /proc). */
  do reaped = wait4(child->pid, &wstatus, WNOHANG, &usage);
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
  napi_value argv[5];
  if (reaped < 0) {
    /* Reaped by someone else (it cannot be: nothing else waits for these pids). Told as a lost status. */
    napi_get_null(env, &argv[0]);
    napi_get_null(env, &argv[1]);
    napi_get_null(env, &argv[2]);
    napi_get_null(env, &argv[3]);
  } else if (WIFSIGNALED(wstatus)) {
    napi_get_null(env, &argv[0]);
    napi_create_int32(env, WTERMSIG(wstatus), &argv[1]);
  } else {
    napi_create_int32(env, WEXITSTATUS(wstatus), &argv[0]);
    napi_get_null(env, &argv[1]);
  }
  /*
   * Whether anything is left of its process group, looked at here in C right
   * after the reap (the common answer, none, then costs the event loop no
   * signal call and no thrown ESRCH). EPERM: a member we may not signal.
   */
  napi_get_boolean(env, reaped > 0 && kill(-child->pid, 0) != 0 && errno == ESRCH, &argv[4]);
  if (reaped > 0) {
    /* User + system CPU of the process and of the children it waited for, in ms; the highest RSS among them (kB on Linux). */
    double cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    napi_create_double(env, cpu_ms, &argv[2]);
    napi_create_double(env, (double)usage.ru_maxrss * 1024, &argv[3]);
  }
  call_js(env, state->async, callback, 5, argv);
  napi_delete_reference(env, callback);
  napi_close_handle_scope(env, scope);
}

/* Starts waiting on the pidfd of a started job (the child takes over its on_exit); an errno when it cannot. */
static int watch(napi_env env, state_t *state, job_t *job) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return EINVAL;
  child_t *child = calloc(1, sizeof(child_t));
  if (child == NULL) return ENOMEM;
  int rc = uv_poll_init(loop, &child->poll, job->task.pidfd);
  if (rc == 0) rc = uv_poll_start(&child->poll, UV_READABLE, exited);
  if (rc != 0) {
    free(child);
    return -rc;
  }
  child->poll.data = child;
  child->pidfd = job->task.pidfd;
  child->pid = job->task.pid;
  child->env = env;
  child->callback = job->on_exit;
  job->on_exit = NULL;
  child->next = state->children;
  if (child->next != NULL) child->next->prev = child;
  state->children = child;
  return 0;
}

static napi_value number(napi_env env, int value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

/* On the loop's thread: the starts the spawner thread is done with, each told to its onStarted(errno, pid, stdout, stderr). */
static void deliver(uv_async_t *handle) {
  state_t *state = handle->data;
  napi_env env = state->env;
  pthread_mutex_lock(&state->lock);
  job_t *jobs = state->done;
  state->done = state->done_tail = NULL;
  pthread_mutex_unlock(&state->lock);
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  for (job_t *job = jobs, *next; job != NULL; job = next) {
    next = job->next;
    state->in_flight--;
    launch_t *task = &job->task;
    if (job->rc == 0 && (job->rc = watch(env, state, job)) != 0) {
      kill(-task->pid, SIGKILL);
      while (waitpid(task->pid, NULL, 0) < 0 && errno == EINTR) {
      }
      close(task->pidfd);
      close(task->out);
      close(task->err);
    }
    int ok = job->rc == 0;
    napi_value argv[4] = {number(env, job->rc), number(env, ok ? task->pid : 0), number(env, ok ? task->out : -1), number(env, ok ? task->err : -1)};
    call_js(env, state->async, job->on_started, 4, argv);
    free_job(env, job);
  }
  if (state->in_flight == 0) uv_unref((uv_handle_t *)handle);
  napi_close_handle_scope(env, scope);
}

/* ---------- spawn(file, argv, envp, cwd | null, umask, onStarted, onExit) ---------- */

static napi_value spawn_task(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  state_t *state;
  napi_get_instance_data(env, (void **)&state);
  job_t *job = calloc(1, sizeof(job_t));
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_valuetype cwd_type;
  napi_typeof(env, args[3], &cwd_type);
  uint32_t mask = 0;
  job->file = string_of(env, args[0]);
  job->argv = strings_of(env, args[1]);
  job->envp = environment_of(env, args[2]);
  job->cwd = cwd_type == napi_string ? string_of(env, args[3]) : NULL;
  if (job->file == NULL || job->argv == NULL || job->envp == NULL || (cwd_type == napi_string && job->cwd == NULL) || napi_get_value_uint32(env, args[4], &mask) != napi_ok ||
      napi_create_reference(env, args[5], 1, &job->on_started) != napi_ok || napi_create_reference(env, args[6], 1, &job->on_exit) != napi_ok) {
    free_job(env, job);
    napi_throw_type_error(env, NULL, "spawn(file: string, argv: string[], envp: string | string[], cwd: string | null, umask: number, onStarted: function, onExit: function)");
    return NULL;
  }
  job->mask = (mode_t)(mask & 0777);
  job->task = (launch_t){.file = job->file, .argv = job->argv, .envp = job->envp, .cwd = job->cwd, .pid = 0, .out = -1, .err = -1, .pidfd = -1};
  if (state->in_flight++ == 0) uv_ref((uv_handle_t *)state->started);
  if (thread_ready(state)) {
    pthread_mutex_lock(&state->lock);
    push(&state->todo, &state->todo_tail, job);
    pthread_cond_signal(&state->wake);
    pthread_mutex_unlock(&state->lock);
  } else {
    /* No thread of its own: here, under the user's umask, as Node's spawn is run; told in a later turn all the same. */
    mode_t own = umask(job->mask);
    job->rc = launch_task(&job->task);
    umask(own);
    pthread_mutex_lock(&state->lock);
    push(&state->done, &state->done_tail, job);
    pthread_mutex_unlock(&state->lock);
    uv_async_send(state->started);
  }
  return NULL;
}

/* useLoopThread(): spawns from now on run on the loop's thread, as where unshare is refused (for tests); false once the thread runs. */
static napi_value use_loop_thread(napi_env env, napi_callback_info info) {
  (void)info;
  state_t *state;
  napi_get_instance_data(env, (void **)&state);
  if (state->thread_state == 0) state->thread_state = -1;
  napi_value result;
  napi_get_boolean(env, state->thread_state == -1, &result);
  return result;
}

/* ---------- the module ---------- */

/*
 * At teardown (a worker thread ending; cleanup hooks run in reverse order,
 * so before the instance data is released): the spawner thread ends after
 * the starts it was given; the children run on, unreaped, as Node's own
 * would.
 */
static void teardown(void *data) {
  state_t *state = data;
  napi_env env = state->env;
  if (state->thread_state == 1) {
    pthread_mutex_lock(&state->lock);
    state->stopping = 1;
    pthread_cond_signal(&state->wake);
    pthread_mutex_unlock(&state->lock);
    pthread_join(state->thread, NULL);
  }
  for (job_t *job = state->done, *next; job != NULL; job = next) {
    next = job->next;
    if (job->rc == 0) {
      close(job->task.pidfd);
      close(job->task.out);
      close(job->task.err);
    }
    free_job(env, job);
  }
  state->done = state->done_tail = NULL;
  for (child_t *child = state->children, *next; child != NULL; child = next) {
    next = child->next;
    uv_poll_stop(&child->poll);
    napi_delete_reference(env, child->callback);
    uv_close((uv_handle_t *)&child->poll, closed);
  }
  state->children = NULL;
  uv_close((uv_handle_t *)state->started, (uv_close_cb)free);
  napi_async_destroy(env, state->async);
}

static void release(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  state_t *state = data;
  pthread_mutex_destroy(&state->lock);
  pthread_cond_destroy(&state->wake);
  pthread_cond_destroy(&state->ready);
  free(state);
}

/* Why the native spawner cannot work here, or null: pidfd_open is probed once (ENOSYS before Linux 5.3). */
static napi_value unavailable(napi_env env) {
  napi_value result;
  int fd = open_pidfd(getpid());
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
  uv_loop_t *loop;
  if (state != NULL) state->started = calloc(1, sizeof(uv_async_t));
  if (state == NULL || state->started == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    /* Nothing was registered yet: what was allocated goes back, and the module does not load (Node's spawn is used). */
    if (state != NULL) free(state->started);
    free(state);
    return NULL;
  }
  state->env = env;
  pthread_mutex_init(&state->lock, NULL);
  pthread_cond_init(&state->wake, NULL);
  pthread_cond_init(&state->ready, NULL);
  uv_async_init(loop, state->started, deliver);
  state->started->data = state;
  uv_unref((uv_handle_t *)state->started); /* keeps the loop alive only while a start is on its way */
  napi_value name, fn;
  napi_create_string_utf8(env, "spire spawn", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &state->async);
  napi_set_instance_data(env, state, release, NULL);
  napi_add_env_cleanup_hook(env, teardown, state);
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn_task, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "useLoopThread", NAPI_AUTO_LENGTH, use_loop_thread, NULL, &fn);
  napi_set_named_property(env, exports, "useLoopThread", fn);
  napi_set_named_property(env, exports, "unavailable", unavailable(env));
  output_init(env, exports);
  folders_init(env, exports);
  memory_init(env, exports);
  return exports;
}
