{
  "targets": [
    {
      "target_name": "process_spawner",
      "sources": [
        "native/js/addon.cc",
        "native/js/convert.cc",
        "native/js/sync_convert.cc",
        "native/child/child.cc",
        "native/parent/clone.cc",
        "native/parent/fd.cc",
        "native/parent/process_control.cc",
        "native/parent/spawn.cc",
        "native/parent/sync.cc",
        "native/exits/exit_watcher.cc",
        "native/exits/orphans.cc",
        "native/exits/reap.cc",
        "native/exits/sigchld.cc",
        "native/ipc/fd_passing.cc",
        "native/ipc/fd_watch.cc"
      ],
      "include_dirs": ["native"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"],
      "ldflags": ["-Wl,-z,now", "-Wl,-z,nodelete", "-Wl,--version-script=<(module_root_dir)/native/exports.map"]
    }
  ]
}
