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

/*
 * giveBackFreedMemory(): malloc_trim(0). glibc returns freed memory to the
 * kernel only from the top of an arena, and only past M_TRIM_THRESHOLD;
 * what a burst (an apply, the engine's start) frees below blocks still in
 * use stays resident. malloc_trim also gives back the free pages inside
 * each arena (MADV_DONTNEED): ~1.5-3 MB of an engine at rest after an apply
 * of 100 pipelines (bench/api). Returns whether any memory was given back;
 * false without glibc.
 */
static napi_value give_back_freed_memory(napi_env env, napi_callback_info info) {
  bool released = false;
#ifdef __GLIBC__
  released = malloc_trim(0) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}

void memory_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "keepFreedMemory", NAPI_AUTO_LENGTH, keep_freed_memory, NULL, &fn);
  napi_set_named_property(env, exports, "keepFreedMemory", fn);
  napi_create_function(env, "giveBackFreedMemory", NAPI_AUTO_LENGTH, give_back_freed_memory, NULL, &fn);
  napi_set_named_property(env, exports, "giveBackFreedMemory", fn);
}
