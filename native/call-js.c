/*
 * Calling JavaScript from a libuv callback (a child's exit, a pipe's bytes),
 * as Node calls its own event listeners: through napi_make_callback, so
 * that the microtasks and nextTicks the listeners queue run before the loop
 * goes on, and a throw becomes the process's "uncaughtException".
 */
#include "call-js.h"

void call_js(napi_env env, napi_async_context async, napi_ref fn, size_t argc, napi_value *argv) {
  napi_value function, receiver;
  napi_get_reference_value(env, fn, &function);
  napi_get_global(env, &receiver); /* make_callback wants an object */
  if (napi_make_callback(env, async, receiver, function, argc, argv, NULL) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}
