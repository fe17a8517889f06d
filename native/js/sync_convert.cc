#include "js/sync_convert.h"

#include <errno.h>

#include "js/convert.h"

namespace ps {

namespace {

int64_t integer_or(const Napi::Object& object, const char* key, int64_t fallback) {
  Napi::Value value = object.Get(key);
  return value.IsNumber() ? value.As<Napi::Number>().Int64Value() : fallback;
}

bool input_from_js(const Napi::Value& value, std::string* input) {
  if (value.IsUndefined() || value.IsNull()) return true;
  if (!value.IsTypedArray()) return false;
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array bytes = array.As<Napi::Uint8Array>();
  input->assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  return true;
}

const char* end_name(SyncEnd end) {
  switch (end) {
    case SyncEnd::kTimeout:
      return "timeout";
    case SyncEnd::kMaxBuffer:
      return "maxBuffer";
    case SyncEnd::kNone:
      break;
  }
  return nullptr;
}

Napi::Value string_or_null(Napi::Env env, const char* text) {
  return text == nullptr ? env.Null() : Napi::String::New(env, text);
}

}  // namespace

bool sync_limits_from_js(const Napi::Object& object, SyncLimits* limits) {
  if (!input_from_js(object.Get("input"), &limits->input)) {
    Napi::TypeError::New(object.Env(), "input must be null or a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  limits->timeout_ms = integer_or(object, "timeoutMs", 0);
  limits->kill_signal = static_cast<int>(integer_or(object, "killSignal", SIGTERM));
  limits->kill_grace_ms = integer_or(object, "killGraceMs", -1);
  // null, Infinity and anything past 2^53 are no limit.
  Napi::Value max_buffer = object.Get("maxBuffer");
  const double bytes = max_buffer.IsNumber() ? max_buffer.As<Napi::Number>().DoubleValue() : -1;
  limits->has_max_buffer = bytes >= 0 && bytes < 9007199254740992.0;
  if (limits->has_max_buffer) limits->max_buffer = static_cast<uint64_t>(bytes);
  Napi::Value per_stream = object.Get("maxBufferPerStream");
  limits->max_buffer_per_stream = per_stream.IsBoolean() && per_stream.As<Napi::Boolean>().Value();
  limits->drain_after_kill_ms = integer_or(object, "drainAfterKillMs", -1);
  return true;
}

Napi::Object sync_outcome_to_js(Napi::Env env, const SyncOutcome& outcome) {
  const SpawnOutcome& spawn = outcome.spawn;
  if (spawn.parent_errno != 0 || spawn.child_errno != 0) return outcome_to_js(env, spawn);
  Napi::Object object = Napi::Object::New(env);
  object.Set("pid", spawn.pid);
  Napi::Array output = Napi::Array::New(env, outcome.outputs.size());
  for (size_t slot = 0; slot < outcome.outputs.size(); slot++) {
    const std::string& bytes = outcome.outputs[slot];
    output.Set(static_cast<uint32_t>(slot), outcome.has_output[slot]
                                                ? Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size()).As<Napi::Value>()
                                                : env.Null());
  }
  object.Set("output", output);
  ExitStatus exit;
  exit.pid = spawn.pid;
  exit.error = outcome.reaped ? 0 : ECHILD;
  exit.status = outcome.wait_status;
  exit.rusage = outcome.rusage;
  object.Set("wait", exit_status_to_js(env, exit));
  object.Set("end", string_or_null(env, end_name(outcome.end)));
  object.Set("endSlot", outcome.end_slot);
  object.Set("ioErrno", outcome.io_errno);
  object.Set("ioSyscall", string_or_null(env, outcome.io_syscall));
  object.Set("durationMs", outcome.duration_ms);
  return object;
}

}  // namespace ps
