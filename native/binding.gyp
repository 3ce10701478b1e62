{
  "targets": [
    {
      "target_name": "spire_spawn",
      "sources": ["spawn.c", "launch.c", "output.c", "folders.c", "memory.c", "call-js.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
