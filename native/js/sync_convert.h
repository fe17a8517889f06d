// Conversions for spawnSync: the limits of a synchronous spawn from JavaScript, and its outcome
// back. The TypeScript layer has already validated everything.
#ifndef PROCESS_SPAWNER_SYNC_CONVERT_H_
#define PROCESS_SPAWNER_SYNC_CONVERT_H_

#include <napi.h>

#include "parent/sync.h"

namespace ps {

// Reads { input, timeoutMs, killSignal, killGraceMs, maxBuffer, maxBufferPerStream,
// drainAfterKillMs }. On a malformed value it throws a JavaScript TypeError and returns false.
bool sync_limits_from_js(const Napi::Object& object, SyncLimits* limits);

// A failed spawn as outcome_to_js has it; otherwise
// { pid, output: (Buffer | null)[], wait: { status, exitCode, ... } | { errno }, end, endSlot,
//   ioErrno, ioSyscall, durationMs }.
Napi::Object sync_outcome_to_js(Napi::Env env, const SyncOutcome& outcome);

}  // namespace ps

#endif  // PROCESS_SPAWNER_SYNC_CONVERT_H_
