/* How much freed memory the C allocator keeps (see memory.c). */
#ifndef SPIRE_MEMORY_H
#define SPIRE_MEMORY_H

#include <node_api.h>

/* Adds keepFreedMemory(bytes) and giveBackFreedMemory() to the addon's exports. */
void memory_init(napi_env env, napi_value exports);

#endif
