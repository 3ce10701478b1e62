/* Calling JavaScript from a libuv callback (see call-js.c). */
#ifndef SPIRE_CALL_JS_H
#define SPIRE_CALL_JS_H

#include <node_api.h>

/* Calls the function `fn` refers to with `argv`; a throw goes to process "uncaughtException", as from Node's own events. */
void call_js(napi_env env, napi_async_context async, napi_ref fn, size_t argc, napi_value *argv);

#endif
