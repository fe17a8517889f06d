// Conversions between JavaScript values and the native structs. The TypeScript layer has already
// validated everything; these checks only keep a misuse of the raw addon from crashing.
#ifndef PROCESS_SPAWNER_CONVERT_H_
#define PROCESS_SPAWNER_CONVERT_H_

#include <napi.h>

#include "sigchld.h"
#include "spawn.h"

namespace ps {

// Reads { execPaths, argv, envp, cwd, stdio } into `request`. On a malformed value it throws a
// JavaScript TypeError and returns false.
bool request_from_js(const Napi::Object& object, SpawnRequest* request);

Napi::Object outcome_to_js(Napi::Env env, const SpawnOutcome& outcome);

Napi::Object reap_result_to_js(Napi::Env env, const ReapResult& result);

// { nofile: RLIMIT_NOFILE, ... }: the resource numbers of this platform, by their short names.
Napi::Object rlimit_resources(Napi::Env env);
// The names of the child path's steps, indexed by code (child_steps.h): what `childStep` can be.
Napi::Array child_step_names(Napi::Env env);

}  // namespace ps

#endif  // PROCESS_SPAWNER_CONVERT_H_
