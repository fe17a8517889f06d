// The spawn request's vocabulary, shared with the TypeScript layer: the stdio codes and the names
// of the request's fields. These lists are the only place the C++ side writes them;
// src/core/native-codes.ts holds the same lists for the TypeScript types, and
// test/native/native-codes.test.ts checks that the two agree through the addon's `stdioCodes`
// and `spawnRequestFields`.
#ifndef PROCESS_SPAWNER_JS_SPAWN_REQUEST_H_
#define PROCESS_SPAWNER_JS_SPAWN_REQUEST_H_

// X(constant, code, name): a stdio slot's code in the request's `stdio` array. A code >= 0 passes
// that fd of ours.
#define PS_STDIO_CODES(X)          \
  X(kStdioPipe, -1, "pipe")        \
  X(kStdioIgnore, -2, "ignore")    \
  X(kStdioSocket, -3, "socket")

// X(constant, name): the fields convert.cc reads from a request object.
#define PS_SPAWN_REQUEST_FIELDS(X)                 \
  X(kFieldExecPaths, "execPaths")                  \
  X(kFieldArgv, "argv")                            \
  X(kFieldEnvp, "envp")                            \
  X(kFieldCwd, "cwd")                              \
  X(kFieldStdio, "stdio")                          \
  X(kFieldVfork, "vfork")                          \
  X(kFieldPipeSize, "pipeSize")                    \
  X(kFieldCloseFds, "closeFds")                    \
  X(kFieldRestoreSignals, "restoreSignals")        \
  X(kFieldNewSession, "newSession")                \
  X(kFieldProcessGroup, "processGroup")            \
  X(kFieldUmask, "umask")                          \
  X(kFieldUid, "uid")                              \
  X(kFieldGid, "gid")                              \
  X(kFieldParentDeathSignal, "parentDeathSignal")  \
  X(kFieldRlimits, "rlimits")                      \
  X(kFieldSignalMask, "signalMask")                \
  X(kFieldGroups, "groups")

namespace ps {

#define PS_STDIO_CODE_CONSTANT(constant, code, name) constexpr int32_t constant = code;
PS_STDIO_CODES(PS_STDIO_CODE_CONSTANT)
#undef PS_STDIO_CODE_CONSTANT

#define PS_FIELD_CONSTANT(constant, name) constexpr const char* constant = name;
PS_SPAWN_REQUEST_FIELDS(PS_FIELD_CONSTANT)
#undef PS_FIELD_CONSTANT

}  // namespace ps

#endif  // PROCESS_SPAWNER_JS_SPAWN_REQUEST_H_
