#include "convert.h"

#include <sys/wait.h>

#include "child.h"

namespace ps {

namespace {

// The `stdio` codes of the request: a number >= 0 passes that fd of ours.
constexpr int32_t kStdioPipe = -1;
constexpr int32_t kStdioIgnore = -2;

bool throw_type_error(const Napi::Env& env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool strings_from_js(const Napi::Value& value, std::vector<std::string>* out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  const uint32_t length = array.Length();
  out->reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) return false;
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return true;
}

bool stdio_from_js(const Napi::Value& value, std::vector<StdioSpec>* out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) return false;
    const int32_t code = item.As<Napi::Number>().Int32Value();
    if (code == kStdioPipe) {
      out->push_back({StdioKind::kPipe, -1});
    } else if (code == kStdioIgnore) {
      out->push_back({StdioKind::kDevNull, -1});
    } else if (code >= 0) {
      out->push_back({StdioKind::kInheritFd, code});
    } else {
      return false;
    }
  }
  return true;
}

Napi::Value number_or_null(Napi::Env env, bool present, double value) {
  return present ? Napi::Number::New(env, value) : env.Null();
}

double micros(const struct timeval& time) {
  return static_cast<double>(time.tv_sec) * 1e6 + static_cast<double>(time.tv_usec);
}

// The raw status, decoded with the real macros, and the child's rusage from wait4.
void set_wait_fields(Napi::Object* object, int status, const struct rusage& usage) {
  Napi::Env env = object->Env();
  object->Set("status", Napi::Number::New(env, status));
  object->Set("exitCode", number_or_null(env, WIFEXITED(status), WEXITSTATUS(status)));
  object->Set("termSignal", number_or_null(env, WIFSIGNALED(status), WTERMSIG(status)));
  object->Set("coreDumped", Napi::Boolean::New(env, WIFSIGNALED(status) && WCOREDUMP(status)));
  Napi::Object rusage = Napi::Object::New(env);
  rusage.Set("userCpuMicros", micros(usage.ru_utime));
  rusage.Set("systemCpuMicros", micros(usage.ru_stime));
  rusage.Set("maxRssKiB", static_cast<double>(usage.ru_maxrss));
  rusage.Set("minorFaults", static_cast<double>(usage.ru_minflt));
  rusage.Set("majorFaults", static_cast<double>(usage.ru_majflt));
  rusage.Set("voluntaryContextSwitches", static_cast<double>(usage.ru_nvcsw));
  rusage.Set("involuntaryContextSwitches", static_cast<double>(usage.ru_nivcsw));
  object->Set("rusage", rusage);
}

}  // namespace

bool request_from_js(const Napi::Object& object, SpawnRequest* request) {
  Napi::Env env = object.Env();
  if (!strings_from_js(object.Get("execPaths"), &request->exec_paths) ||
      request->exec_paths.empty()) {
    return throw_type_error(env, "execPaths must be a non-empty array of strings");
  }
  if (!strings_from_js(object.Get("argv"), &request->argv) || request->argv.empty()) {
    return throw_type_error(env, "argv must be a non-empty array of strings");
  }
  Napi::Value envp = object.Get("envp");
  request->inherit_environ = envp.IsNull() || envp.IsUndefined();
  if (!request->inherit_environ && !strings_from_js(envp, &request->envp)) {
    return throw_type_error(env, "envp must be null or an array of strings");
  }
  Napi::Value cwd = object.Get("cwd");
  request->has_cwd = cwd.IsString();
  if (request->has_cwd) {
    request->cwd = cwd.As<Napi::String>().Utf8Value();
  } else if (!cwd.IsNull() && !cwd.IsUndefined()) {
    return throw_type_error(env, "cwd must be null or a string");
  }
  if (!stdio_from_js(object.Get("stdio"), &request->stdio)) {
    return throw_type_error(env, "stdio must be an array of fd numbers, -1 (pipe) or -2 (ignore)");
  }
  return true;
}

Napi::Object outcome_to_js(Napi::Env env, const SpawnOutcome& outcome) {
  Napi::Object object = Napi::Object::New(env);
  if (outcome.parent_errno != 0) {
    object.Set("errno", outcome.parent_errno);
    object.Set("syscall", outcome.parent_syscall);
    return object;
  }
  object.Set("pid", outcome.pid);
  if (outcome.child_errno != 0) {
    object.Set("errno", outcome.child_errno);
    object.Set("childStep", child_step_name(outcome.child_step));
    set_wait_fields(&object, outcome.wait_status, outcome.rusage);
    return object;
  }
  Napi::Array fds = Napi::Array::New(env, outcome.parent_fds.size());
  for (size_t i = 0; i < outcome.parent_fds.size(); i++) {
    fds.Set(static_cast<uint32_t>(i), outcome.parent_fds[i]);
  }
  object.Set("fds", fds);
  return object;
}

Napi::Object reap_result_to_js(Napi::Env env, const ReapResult& result) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("pid", result.pid);
  if (result.error != 0) {
    object.Set("errno", result.error);
  } else {
    set_wait_fields(&object, result.status, result.rusage);
  }
  return object;
}

}  // namespace ps
