// The spawn request's vocabulary, shared with the addon: the stdio codes and the request's field
// names. native/js/spawn_request.h is the C++ side's one list of them; test/native/native-codes.test.ts
// checks that the addon's `stdioCodes` and `spawnRequestFields` are these, in the same order.

/** A stdio slot's code in a spawn request; a number >= 0 passes that fd of ours. */
export const STDIO_CODES = {
  pipe: -1,
  ignore: -2,
  /** A socketpair at any slot, 0-2 included. */
  socket: -3,
} as const;

/** The fields the addon reads from a spawn request (NativeSpawnRequest has exactly these). */
export const SPAWN_REQUEST_FIELDS = [
  'execPaths',
  'argv',
  'envp',
  'cwd',
  'stdio',
  'vfork',
  'pipeSize',
  'closeFds',
  'restoreSignals',
  'newSession',
  'processGroup',
  'umask',
  'uid',
  'gid',
  'parentDeathSignal',
  'rlimits',
  'signalMask',
  'groups',
] as const;

export type SpawnRequestField = (typeof SPAWN_REQUEST_FIELDS)[number];
