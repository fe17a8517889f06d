{
  "targets": [
    {
      "target_name": "process_spawner",
      "sources": [
        "native/addon.cc",
        "native/child.cc",
        "native/convert.cc",
        "native/fd.cc",
        "native/ipc/fd_passing.cc",
        "native/ipc/fd_watch.cc",
        "native/process_control.cc",
        "native/sigchld.cc",
        "native/spawn.cc",
        "native/sync.cc",
        "native/sync_convert.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"],
      "ldflags": ["-Wl,-z,now", "-Wl,-z,nodelete"]
    }
  ]
}
