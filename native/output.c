/*
 * Reading a task's stdout and stderr pipes on Node's event loop, without a
 * net.Socket per pipe.
 *
 * Why: a net.Socket on a pipe's fd is how Node reads its own children's
 * pipes, and it is a whole stream: an fstat to guess the handle's type, a
 * Pipe handle, stream state, then at the end of file an 'end' on the next
 * tick, a destroy and a close on the next turn of the loop. For a task that
 * writes nothing (most of a task graph's), that was ~90 µs of the event
 * loop's thread per task (bench/dag: 1,000 tasks, 90 ms of its profile),
 * where what is needed is a uv_poll_t on the fd and a read when it is
 * readable.
 *
 * read(fd, onChunk) → id: from now on the fd (a pipe's read end, made
 * non-blocking here) is read whenever it is readable, each read's bytes
 * told to onChunk(buffer); at the end of file onChunk(null, 0), or
 * onChunk(null, errno) when a read fails; then the fd is closed and onChunk
 * never called again. stopRead(id): stop reading and close the fd now
 * (false when it had already ended); onChunk is not called for it.
 */
#include "output.h"

#include "call-js.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

/* A pipe's buffer on Linux is 64 KiB: one read takes all that is waiting. */
#define CHUNK (64 * 1024)
/* Reads per wake-up before the loop goes on to other work (level-triggered: the rest comes at the next turn). */
#define READS_PER_WAKE 16

typedef struct outputs outputs_t;

typedef struct reader {
  uv_poll_t poll;
  int fd;
  uint32_t id;
  /* Set once stopped (end of file, a failed read, stopRead): the memory lives on until the handle is closed. */
  int stopped;
  outputs_t *outputs;
  napi_ref on_chunk;
  struct reader *prev, *next;
} reader_t;

/* Per Node environment (the main thread, or a worker). */
struct outputs {
  napi_env env;
  napi_async_context async;
  reader_t *readers;
  uint32_t next_id;
};

static void unlink_reader(outputs_t *outputs, reader_t *reader) {
  if (reader->prev != NULL) reader->prev->next = reader->next;
  else outputs->readers = reader->next;
  if (reader->next != NULL) reader->next->prev = reader->prev;
  reader->prev = reader->next = NULL;
}

static void closed(uv_handle_t *handle) {
  reader_t *reader = handle->data;
  close(reader->fd);
  free(reader);
}

/* Stops watching and closes the fd (once the handle is closed); returns onChunk, which the caller releases. */
static napi_ref stop(reader_t *reader) {
  napi_ref on_chunk = reader->on_chunk;
  reader->stopped = 1;
  reader->on_chunk = NULL;
  unlink_reader(reader->outputs, reader);
  uv_poll_stop(&reader->poll);
  uv_close((uv_handle_t *)&reader->poll, closed);
  return on_chunk;
}

/* Calls onChunk(chunk, errno). */
static void tell(outputs_t *outputs, napi_ref on_chunk, napi_value chunk, int code) {
  napi_value argv[2] = {chunk, NULL};
  napi_create_int32(outputs->env, code, &argv[1]);
  call_js(outputs->env, outputs->async, on_chunk, 2, argv);
}

static void readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  reader_t *reader = poll->data;
  outputs_t *outputs = reader->outputs;
  napi_env env = outputs->env;
  char buffer[CHUNK];
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  int ended = status < 0 ? -status : -1; /* -1: still open; else 0 (end of file) or an errno */
  for (int reads = 0; ended < 0 && reads < READS_PER_WAKE; reads++) {
    ssize_t got = read(reader->fd, buffer, sizeof buffer);
    if (got > 0) {
      napi_value chunk;
      void *data;
      napi_create_buffer_copy(env, (size_t)got, buffer, &data, &chunk);
      tell(outputs, reader->on_chunk, chunk, 0);
      if (reader->stopped) break; /* stopRead from the callback: nothing more is read or told */
      if ((size_t)got < sizeof buffer) break; /* drained: the next wake-up tells the rest */
    } else if (got == 0) {
      ended = 0;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else if (errno != EINTR) {
      ended = errno;
    }
  }
  if (ended >= 0 && !reader->stopped) {
    napi_ref on_chunk = stop(reader);
    napi_value none;
    napi_get_null(env, &none);
    tell(outputs, on_chunk, none, ended);
    napi_delete_reference(env, on_chunk);
  }
  napi_close_handle_scope(env, scope);
}

static napi_value read_output(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  outputs_t *outputs;
  napi_get_cb_info(env, info, &argc, args, NULL, (void **)&outputs);
  int32_t fd;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, args[0], &fd) != napi_ok || fd < 0 || napi_typeof(env, args[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "read(fd: number, onChunk: function)");
    return NULL;
  }
  uv_loop_t *loop;
  reader_t *reader = calloc(1, sizeof(reader_t));
  int rc = reader == NULL ? UV_ENOMEM : 0;
  int flags = rc == 0 ? fcntl(fd, F_GETFL) : 0;
  if (rc == 0 && (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)) rc = -errno;
  if (rc == 0 && napi_get_uv_event_loop(env, &loop) != napi_ok) rc = UV_EINVAL;
  if (rc == 0) rc = uv_poll_init(loop, &reader->poll, fd);
  if (rc != 0) {
    free(reader); /* nothing of libuv's holds it yet */
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  reader->poll.data = reader;
  reader->fd = fd;
  reader->outputs = outputs;
  reader->id = ++outputs->next_id;
  napi_create_reference(env, args[1], 1, &reader->on_chunk);
  reader->next = outputs->readers;
  if (reader->next != NULL) reader->next->prev = reader;
  outputs->readers = reader;
  if ((rc = uv_poll_start(&reader->poll, UV_READABLE, readable)) != 0) {
    napi_delete_reference(env, stop(reader)); /* the fd is closed with the handle, as it would be at the end */
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  napi_value id;
  napi_create_uint32(env, reader->id, &id);
  return id;
}

static napi_value stop_read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  outputs_t *outputs;
  napi_get_cb_info(env, info, &argc, args, NULL, (void **)&outputs);
  uint32_t id = 0;
  if (argc >= 1) napi_get_value_uint32(env, args[0], &id);
  reader_t *reader = outputs->readers;
  while (reader != NULL && reader->id != id) reader = reader->next;
  if (reader != NULL) napi_delete_reference(env, stop(reader));
  napi_value result;
  napi_get_boolean(env, reader != NULL, &result);
  return result;
}

/* At teardown (a worker thread ending): every pipe still read is closed. */
static void teardown(void *data) {
  outputs_t *outputs = data;
  while (outputs->readers != NULL) napi_delete_reference(outputs->env, stop(outputs->readers));
  napi_async_destroy(outputs->env, outputs->async);
  free(outputs);
}

void output_init(napi_env env, napi_value exports) {
  outputs_t *outputs = calloc(1, sizeof(outputs_t));
  if (outputs == NULL) return; /* no read(): the pipes are read with net.Socket */
  outputs->env = env;
  napi_value name, fn;
  napi_create_string_utf8(env, "spire output", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &outputs->async);
  napi_add_env_cleanup_hook(env, teardown, outputs);
  napi_create_function(env, "read", NAPI_AUTO_LENGTH, read_output, outputs, &fn);
  napi_set_named_property(env, exports, "read", fn);
  napi_create_function(env, "stopRead", NAPI_AUTO_LENGTH, stop_read, outputs, &fn);
  napi_set_named_property(env, exports, "stopRead", fn);
}
