/*
 * Reading a task's stdout and stderr pipes on Node's event loop, without a
 * net.Socket per pipe.
 *
 * Why: a net.Socket on a pipe's fd is how Node reads its own children's
 * pipes, and it is a whole stream: an fstat to guess the handle's type, a
 * Pipe handle, stream state, then at the end of file an 'end' on the next
 * tick, a destroy and a close on the next turn of the loop. For a task that
 * writes nothing (most of a task graph's), that was ~90 µs of the event
 * loop's thread per task (bench/dag: 1,000 tasks, 90 ms of its profile).
 * Here each pipe is a bare libuv pipe handle read from C (a uv_pipe_t, not
 * a uv_poll_t, whose set-up tries each fd in epoll first: three more system
 * calls a pipe).
 *
 * read(fd, onChunk) → id: from now on the fd (a pipe's read end, which
 * libuv makes non-blocking and closes at the end) is read whenever it is
 * readable, each read's bytes told to onChunk(buffer); at the end of file
 * onChunk(null, 0), or onChunk(null, errno) when a read fails; then the fd
 * is closed and onChunk never called again. stopRead(id): stop reading and
 * close the fd now (false when it had already ended); onChunk is not
 * called for it. When read throws, the fd is closed too.
 */
#include "output.h"

#include "call-js.h"

#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

/* A pipe's buffer on Linux is 64 KiB: one read takes all that is waiting. */
#define CHUNK (64 * 1024)

typedef struct outputs outputs_t;

typedef struct reader {
  uv_pipe_t pipe;
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
  /* Every read lands here: its bytes are copied into a Buffer before the next read (all on the loop's thread). */
  char buffer[CHUNK];
};

static void unlink_reader(outputs_t *outputs, reader_t *reader) {
  if (reader->prev != NULL) reader->prev->next = reader->next;
  else outputs->readers = reader->next;
  if (reader->next != NULL) reader->next->prev = reader->prev;
  reader->prev = reader->next = NULL;
}

/* libuv has closed the fd with the handle. */
static void closed(uv_handle_t *handle) {
  free(handle->data);
}

/* Stops reading and closes the handle and its fd; returns onChunk, which the caller releases. */
static napi_ref stop(reader_t *reader) {
  napi_ref on_chunk = reader->on_chunk;
  reader->stopped = 1;
  reader->on_chunk = NULL;
  unlink_reader(reader->outputs, reader);
  uv_read_stop((uv_stream_t *)&reader->pipe);
  uv_close((uv_handle_t *)&reader->pipe, closed);
  return on_chunk;
}

/* Calls onChunk(chunk, errno). */
static void tell(outputs_t *outputs, napi_ref on_chunk, napi_value chunk, int code) {
  napi_value argv[2] = {chunk, NULL};
  napi_create_int32(outputs->env, code, &argv[1]);
  call_js(outputs->env, outputs->async, on_chunk, 2, argv);
}

static void room(uv_handle_t *handle, size_t suggested, uv_buf_t *buffer) {
  (void)suggested;
  reader_t *reader = handle->data;
  *buffer = uv_buf_init(reader->outputs->buffer, CHUNK);
}

static void got(uv_stream_t *stream, ssize_t count, const uv_buf_t *buffer) {
  reader_t *reader = stream->data;
  if (count == 0 || reader->stopped) return; /* 0: nothing to read after all */
  outputs_t *outputs = reader->outputs;
  napi_env env = outputs->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (count > 0) {
    napi_value chunk;
    void *data;
    napi_create_buffer_copy(env, (size_t)count, buffer->base, &data, &chunk);
    tell(outputs, reader->on_chunk, chunk, 0);
  } else {
    napi_ref on_chunk = stop(reader);
    napi_value none;
    napi_get_null(env, &none);
    tell(outputs, on_chunk, none, count == UV_EOF ? 0 : (int)-count);
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
  if (reader == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_pipe_init(loop, &reader->pipe, 0) != 0) {
    free(reader);
    napi_throw_error(env, "ENOMEM", "read: no handle for the pipe");
    return NULL;
  }
  reader->pipe.data = reader;
  reader->outputs = outputs;
  reader->id = ++outputs->next_id;
  napi_create_reference(env, args[1], 1, &reader->on_chunk);
  reader->next = outputs->readers;
  if (reader->next != NULL) reader->next->prev = reader;
  outputs->readers = reader;
  /* On a failure the fd is closed all the same, as at the end: libuv closes what it opened, and this what it did not. */
  int rc = uv_pipe_open(&reader->pipe, fd);
  if (rc != 0) close(fd);
  else rc = uv_read_start((uv_stream_t *)&reader->pipe, room, got);
  if (rc != 0) {
    napi_delete_reference(env, stop(reader));
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
