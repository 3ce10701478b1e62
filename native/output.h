/* Reading task output pipes on Node's event loop (see output.c). */
#ifndef SPIRE_OUTPUT_H
#define SPIRE_OUTPUT_H

#include <node_api.h>

/* Adds read(fd, onChunk) and stopRead(id) to the addon's exports. */
void output_init(napi_env env, napi_value exports);

#endif
