// Conversions between JavaScript values and the native structs. The TypeScript layer has already
// validated everything; these checks only keep a misuse of the raw addon from crashing.
#ifndef PROCESS_SPAWNER_CONVERT_H_
#define PROCESS_SPAWNER_CONVERT_H_

#include <napi.h>

#include "exits/reap.h"
#include "parent/spawn.h"

namespace ps {

// Reads a request (its fields: spawn_request.h) into `request`. On a malformed value it throws a
// JavaScript TypeError and returns false.
bool request_from_js(const Napi::Object& object, SpawnRequest* request);

Napi::Object outcome_to_js(Napi::Env env, const SpawnOutcome& outcome);

// { pid, status, exitCode, termSignal, coreDumped, rusage }, or { pid, errno } when the reap
// failed (ECHILD: someone else reaped the child).
Napi::Object exit_status_to_js(Napi::Env env, const ExitStatus& result);

// { nofile: RLIMIT_NOFILE, ... }: the resource numbers of this platform, by their short names.
Napi::Object rlimit_resources(Napi::Env env);
// { pipe: -1, ignore: -2, socket: -3 } and the request's field names (spawn_request.h).
Napi::Object stdio_codes(Napi::Env env);
Napi::Array spawn_request_fields(Napi::Env env);
// The names of the child path's steps, indexed by code (child_steps.h): what `childStep` can be.
Napi::Array child_step_names(Napi::Env env);

}  // namespace ps

#endif  // PROCESS_SPAWNER_CONVERT_H_
