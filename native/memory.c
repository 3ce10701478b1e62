/*
 * keepFreedMemory(bytes): how much free memory glibc's malloc keeps at the
 * top of each arena before it gives it back (M_TRIM_THRESHOLD; 128 KB by
 * default, which bin/spire.js's fixed mmap threshold also fixes). A busy
 * process that frees and allocates the same few hundred KB over and over
 * (V8's optimizing compiler, on its worker thread) otherwise returns them
 * to the kernel and faults them back in page by page: ~12,000 page faults
 * in a run of 1,000 tasks, each 10-15 µs on a virtual machine whose page
 * faults go through its hypervisor. Only for processes that end when their
 * work does: an engine at rest keeps the default, so that it gives memory
 * back. Returns false where there is no glibc (nothing changed).
 */
#include "memory.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value keep_freed_memory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  double bytes = -1;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  bool changed = false;
  /* A whole number of bytes that fits mallopt's int (NaN fails both comparisons). */
  if (argc == 1 && napi_get_value_double(env, args[0], &bytes) == napi_ok && bytes >= 0 && bytes <= 0x7fffffff && bytes == (double)(int)bytes) {
#ifdef __GLIBC__
    changed = mallopt(M_TRIM_THRESHOLD, (int)bytes) == 1;
#endif
  }
  napi_value result;
  napi_get_boolean(env, changed, &result);
  return result;
}

void memory_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "keepFreedMemory", NAPI_AUTO_LENGTH, keep_freed_memory, NULL, &fn);
  napi_set_named_property(env, exports, "keepFreedMemory", fn);
}
