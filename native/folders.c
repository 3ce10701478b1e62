/*
 * Making many folders in one trip through libuv's thread pool.
 *
 * Why: a run makes an artifact folder for each of its tasks before the
 * task starts, and the engine makes them ahead of the tasks, off its
 * thread. Through node:fs that is one thread-pool round trip per folder:
 * a wake-up of a pool thread and one of the event loop each time, which
 * on a 2-core machine cost the loop's thread ~50 µs a folder (bench/dag:
 * 1,000 tasks, 50 ms of its profile) and put a third thread between the
 * engine and its tasks for the cores. Here a batch of folders is one trip.
 *
 * makeFolders(paths, mode, done): `paths` NUL-separated; each is made with
 * mkdir(path, mode) in turn (a folder already there counts as made); then
 * done(made, errno): how many were made before the first that could not
 * be, and that one's errno (0 when all were made).
 */
#include "folders.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct {
  napi_async_work work;
  napi_ref done;
  char *paths;
  size_t length;
  mode_t mode;
  uint32_t made;
  int error;
} batch_t;

static void make_all(napi_env env, void *data) {
  (void)env;
  batch_t *batch = data;
  for (size_t start = 0; start < batch->length;) {
    const char *path = batch->paths + start;
    size_t length = strlen(path);
    if (mkdir(path, batch->mode) != 0 && errno != EEXIST) {
      batch->error = errno;
      return;
    }
    batch->made++;
    start += length + 1;
  }
}

static void told(napi_env env, napi_status status, void *data) {
  batch_t *batch = data;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, receiver, argv[2];
  napi_get_reference_value(env, batch->done, &fn);
  napi_get_global(env, &receiver);
  napi_create_uint32(env, batch->made, &argv[0]);
  napi_create_int32(env, status == napi_ok ? batch->error : ECANCELED, &argv[1]);
  napi_call_function(env, receiver, fn, 2, argv, NULL);
  napi_delete_reference(env, batch->done);
  napi_delete_async_work(env, batch->work);
  napi_close_handle_scope(env, scope);
  free(batch->paths);
  free(batch);
}

static napi_value make_folders(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  napi_valuetype types[3] = {napi_undefined, napi_undefined, napi_undefined};
  for (size_t i = 0; i < argc && i < 3; i++) napi_typeof(env, args[i], &types[i]);
  if (types[0] != napi_string || types[1] != napi_number || types[2] != napi_function) {
    napi_throw_type_error(env, NULL, "makeFolders(paths: string, mode: number, done: function)");
    return NULL;
  }
  batch_t *batch = calloc(1, sizeof(batch_t));
  size_t length = 0;
  uint32_t mode = 0;
  napi_get_value_string_utf8(env, args[0], NULL, 0, &length);
  if (batch == NULL || (batch->paths = malloc(length + 1)) == NULL) {
    free(batch);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, args[0], batch->paths, length + 1, &batch->length);
  napi_get_value_uint32(env, args[1], &mode);
  batch->mode = (mode_t)(mode & 07777);
  napi_value name;
  napi_create_string_utf8(env, "spire makeFolders", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, args[2], 1, &batch->done);
  if (napi_create_async_work(env, NULL, name, make_all, told, batch, &batch->work) != napi_ok || napi_queue_async_work(env, batch->work) != napi_ok) {
    napi_delete_reference(env, batch->done);
    free(batch->paths);
    free(batch);
    napi_throw_error(env, NULL, "makeFolders: the work could not be queued");
  }
  return NULL;
}

void folders_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "makeFolders", NAPI_AUTO_LENGTH, make_folders, NULL, &fn);
  napi_set_named_property(env, exports, "makeFolders", fn);
}
