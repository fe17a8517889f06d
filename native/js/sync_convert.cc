#include "js/sync_convert.h"

#include <errno.h>

#include "js/convert.h"
#include "js/quiet_napi.h"

namespace ps {

namespace {

int64_t integer_or(const Napi::Object& object, const char* key, int64_t fallback) {
  Napi::Value value = get_field(object, key);
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

// Napi::Buffer::Copy, quietly (see quiet_napi.h): undefined if the buffer cannot be made.
Napi::Value buffer_copy(Napi::Env env, const std::string& bytes) {
  napi_value buffer;
  if (napi_create_buffer_copy(env, bytes.size(), bytes.data(), nullptr, &buffer) != napi_ok) return env.Undefined();
  return Napi::Value(env, buffer);
}

Napi::Value string_or_null(Napi::Env env, const char* text) {
  return text == nullptr ? env.Null() : Napi::String::New(env, text);
}

}  // namespace

bool sync_limits_from_js(const Napi::Object& object, SyncLimits* limits) {
  if (!input_from_js(get_field(object, "input"), &limits->input)) {
    Napi::TypeError::New(object.Env(), "input must be null or a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  limits->timeout_ms = integer_or(object, "timeoutMs", 0);
  limits->kill_signal = static_cast<int>(integer_or(object, "killSignal", SIGTERM));
  limits->kill_grace_ms = integer_or(object, "killGraceMs", -1);
  // null, Infinity and anything past 2^53 are no limit.
  Napi::Value max_buffer = get_field(object, "maxBuffer");
  const double bytes = max_buffer.IsNumber() ? max_buffer.As<Napi::Number>().DoubleValue() : -1;
  limits->has_max_buffer = bytes >= 0 && bytes < 9007199254740992.0;
  if (limits->has_max_buffer) limits->max_buffer = static_cast<uint64_t>(bytes);
  Napi::Value per_stream = get_field(object, "maxBufferPerStream");
  limits->max_buffer_per_stream = per_stream.IsBoolean() && per_stream.As<Napi::Boolean>().Value();
  limits->drain_after_kill_ms = integer_or(object, "drainAfterKillMs", -1);
  return true;
}

Napi::Object sync_outcome_to_js(Napi::Env env, const SyncOutcome& outcome) {
  const SpawnOutcome& spawn = outcome.spawn;
  if (spawn.parent_errno != 0 || spawn.child_errno != 0) return outcome_to_js(env, spawn);
  Napi::Object object = Napi::Object::New(env);
  put(object, "pid", spawn.pid);
  Napi::Array output = Napi::Array::New(env, outcome.outputs.size());
  for (size_t slot = 0; slot < outcome.outputs.size(); slot++) {
    const std::string& bytes = outcome.outputs[slot];
    put(output, static_cast<uint32_t>(slot), outcome.has_output[slot] ? buffer_copy(env, bytes) : env.Null());
  }
  put(object, "output", output);
  ExitStatus exit;
  exit.pid = spawn.pid;
  exit.error = outcome.reaped ? 0 : ECHILD;
  exit.status = outcome.wait_status;
  exit.rusage = outcome.rusage;
  put(object, "wait", exit_status_to_js(env, exit));
  put(object, "end", string_or_null(env, end_name(outcome.end)));
  put(object, "endSlot", outcome.end_slot);
  put(object, "ioErrno", outcome.io_errno);
  put(object, "ioSyscall", string_or_null(env, outcome.io_syscall));
  put(object, "durationMs", outcome.duration_ms);
  return object;
}

}  // namespace ps
