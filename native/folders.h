/* Making many folders in one trip through the thread pool (see folders.c). */
#ifndef SPIRE_FOLDERS_H
#define SPIRE_FOLDERS_H

#include <node_api.h>

/* Adds makeFolders(paths, mode, done) to the addon's exports. */
void folders_init(napi_env env, napi_value exports);

#endif
