#include "js/convert.h"
#include "js/quiet_napi.h"

#include <sys/wait.h>

#include "child/child.h"
#include "js/spawn_request.h"

namespace ps {

namespace {

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
    Napi::Value item = get_element(array, i);
    if (!item.IsString()) return false;
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return true;
}

bool stdio_from_js(const Napi::Value& value, std::vector<StdioSpec>* out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = get_element(array, i);
    if (!item.IsNumber()) return false;
    const int32_t code = item.As<Napi::Number>().Int32Value();
    if (code == kStdioPipe) {
      out->push_back({StdioKind::kPipe, -1});
    } else if (code == kStdioSocket) {
      out->push_back({StdioKind::kSocketPair, -1});
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

// Optional numeric fields: absent, null or -1 mean "not set".
bool optional_int(const Napi::Object& object, const char* key, int64_t* out) {
  Napi::Value value = get_field(object, key);
  if (!value.IsNumber()) return false;
  *out = value.As<Napi::Number>().Int64Value();
  return *out >= 0;
}

bool flag(const Napi::Object& object, const char* key, bool fallback) {
  Napi::Value value = get_field(object, key);
  return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
}

bool numbers_from_js(const Napi::Value& value, std::vector<double>* out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = get_element(array, i);
    if (!item.IsNumber()) return false;
    out->push_back(item.As<Napi::Number>().DoubleValue());
  }
  return true;
}

// Infinity (or anything past rlim_t) is RLIM_INFINITY.
rlim_t rlimit_value(double value) {
  return value >= 1.8446744073709552e19 ? RLIM_INFINITY : static_cast<rlim_t>(value);
}

// rlimits: a flat array [resource, soft, hard, resource, soft, hard, ...].
bool rlimits_from_js(const Napi::Value& value, SpawnRequest* request) {
  if (value.IsUndefined() || value.IsNull()) return true;
  std::vector<double> flat;
  if (!numbers_from_js(value, &flat) || flat.size() % 3 != 0) return false;
  for (size_t i = 0; i < flat.size(); i += 3) {
    struct rlimit limit {rlimit_value(flat[i + 1]), rlimit_value(flat[i + 2])};
    request->rlimits.push_back({static_cast<int>(flat[i]), limit});
  }
  return true;
}

bool signal_mask_from_js(const Napi::Value& value, SpawnRequest* request) {
  if (value.IsUndefined() || value.IsNull()) return true;
  std::vector<double> signals;
  if (!numbers_from_js(value, &signals)) return false;
  request->has_signal_mask = true;
  sigemptyset(&request->signal_mask);
  for (double signal : signals) {
    if (sigaddset(&request->signal_mask, static_cast<int>(signal)) != 0) return false;
  }
  return true;
}

bool groups_from_js(const Napi::Value& value, SpawnRequest* request) {
  if (value.IsUndefined() || value.IsNull()) return true;
  std::vector<double> groups;
  if (!numbers_from_js(value, &groups)) return false;
  request->set_groups = true;
  for (double group : groups) request->groups.push_back(static_cast<gid_t>(group));
  return true;
}

// The POSIX settings of the request; all optional.
bool settings_from_js(const Napi::Object& object, SpawnRequest* request) {
  int64_t number;
  if (optional_int(object, kFieldPipeSize, &number)) request->pipe_size = static_cast<int>(number);
  request->close_fds = flag(object, kFieldCloseFds, true);
  request->restore_signals = flag(object, kFieldRestoreSignals, true);
  request->new_session = flag(object, kFieldNewSession, false);
  request->use_vfork = flag(object, kFieldVfork, false);
  if (optional_int(object, kFieldProcessGroup, &number)) request->process_group = static_cast<pid_t>(number);
  if ((request->set_umask = optional_int(object, kFieldUmask, &number))) {
    request->umask = static_cast<mode_t>(number);
  }
  if ((request->set_uid = optional_int(object, kFieldUid, &number))) request->uid = static_cast<uid_t>(number);
  if ((request->set_gid = optional_int(object, kFieldGid, &number))) request->gid = static_cast<gid_t>(number);
  if (optional_int(object, kFieldParentDeathSignal, &number)) {
    request->parent_death_signal = static_cast<int>(number);
  }
  return rlimits_from_js(get_field(object, kFieldRlimits), request) &&
         signal_mask_from_js(get_field(object, kFieldSignalMask), request) &&
         groups_from_js(get_field(object, kFieldGroups), request);
}

Napi::Value number_or_null(Napi::Env env, bool present, double value) {
  return present ? Napi::Number::New(env, value) : env.Null();
}

double micros(const struct timeval& time) {
  return static_cast<double>(time.tv_sec) * 1e6 + static_cast<double>(time.tv_usec);
}

// The wait status, decoded with the real macros, and the child's rusage from the reap.
void set_wait_fields(Napi::Object* object, int status, const struct rusage& usage) {
  Napi::Env env = object->Env();
  put(*object, "status", Napi::Number::New(env, status));
  put(*object, "exitCode", number_or_null(env, WIFEXITED(status), WEXITSTATUS(status)));
  put(*object, "termSignal", number_or_null(env, WIFSIGNALED(status), WTERMSIG(status)));
  put(*object, "coreDumped", Napi::Boolean::New(env, WIFSIGNALED(status) && WCOREDUMP(status)));
  Napi::Object rusage = Napi::Object::New(env);
  put(rusage, "userCpuMicros", micros(usage.ru_utime));
  put(rusage, "systemCpuMicros", micros(usage.ru_stime));
  put(rusage, "maxRssKiB", static_cast<double>(usage.ru_maxrss));
  put(rusage, "minorFaults", static_cast<double>(usage.ru_minflt));
  put(rusage, "majorFaults", static_cast<double>(usage.ru_majflt));
  put(rusage, "voluntaryContextSwitches", static_cast<double>(usage.ru_nvcsw));
  put(rusage, "involuntaryContextSwitches", static_cast<double>(usage.ru_nivcsw));
  put(*object, "rusage", rusage);
}

}  // namespace

bool request_from_js(const Napi::Object& object, SpawnRequest* request) {
  Napi::Env env = object.Env();
  if (!strings_from_js(get_field(object, kFieldExecPaths), &request->exec_paths) ||
      request->exec_paths.empty()) {
    return throw_type_error(env, "execPaths must be a non-empty array of strings");
  }
  if (!strings_from_js(get_field(object, kFieldArgv), &request->argv) || request->argv.empty()) {
    return throw_type_error(env, "argv must be a non-empty array of strings");
  }
  Napi::Value envp = get_field(object, kFieldEnvp);
  request->inherit_environ = envp.IsNull() || envp.IsUndefined();
  if (!request->inherit_environ && !strings_from_js(envp, &request->envp)) {
    return throw_type_error(env, "envp must be null or an array of strings");
  }
  Napi::Value cwd = get_field(object, kFieldCwd);
  request->has_cwd = cwd.IsString();
  if (request->has_cwd) {
    request->cwd = cwd.As<Napi::String>().Utf8Value();
  } else if (!cwd.IsNull() && !cwd.IsUndefined()) {
    return throw_type_error(env, "cwd must be null or a string");
  }
  if (!stdio_from_js(get_field(object, kFieldStdio), &request->stdio)) {
    return throw_type_error(env, "stdio must be an array of fd numbers or stdio codes (stdioCodes)");
  }
  if (!settings_from_js(object, request)) {
    return throw_type_error(env, "rlimits, signalMask and groups must be arrays of numbers");
  }
  return true;
}

Napi::Object outcome_to_js(Napi::Env env, const SpawnOutcome& outcome) {
  Napi::Object object = Napi::Object::New(env);
  if (outcome.parent_errno != 0) {
    put(object, "errno", outcome.parent_errno);
    put(object, "syscall", outcome.parent_syscall);
    return object;
  }
  put(object, "pid", outcome.pid);
  put(object, "spawnMethod", outcome.method);
  put(object, "cloneSyscall", outcome.clone_syscall);
  if (outcome.child_errno != 0) {
    put(object, "errno", outcome.child_errno);
    put(object, "childStep", child_step_name(outcome.child_step));
    set_wait_fields(&object, outcome.wait_status, outcome.rusage);
    return object;
  }
  Napi::Array fds = Napi::Array::New(env, outcome.parent_fds.size());
  for (size_t i = 0; i < outcome.parent_fds.size(); i++) {
    put(fds, static_cast<uint32_t>(i), outcome.parent_fds[i]);
  }
  put(object, "fds", fds);
  return object;
}

Napi::Object rlimit_resources(Napi::Env env) {
  Napi::Object resources = Napi::Object::New(env);
  const std::pair<const char*, int> kResources[] = {
      {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},
  };
  for (const auto& [name, resource] : kResources) put(resources, name, resource);
  return resources;
}

Napi::Object stdio_codes(Napi::Env env) {
  Napi::Object codes = Napi::Object::New(env);
#define PS_SET_STDIO_CODE(constant, code, name) put(codes, name, constant);
  PS_STDIO_CODES(PS_SET_STDIO_CODE)
#undef PS_SET_STDIO_CODE
  return codes;
}

Napi::Array spawn_request_fields(Napi::Env env) {
  Napi::Array fields = Napi::Array::New(env);
  uint32_t index = 0;
#define PS_ADD_FIELD(constant, name) put(fields, index++, constant);
  PS_SPAWN_REQUEST_FIELDS(PS_ADD_FIELD)
#undef PS_ADD_FIELD
  return fields;
}

Napi::Array child_step_names(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env, kChildStepCount);
  for (int32_t step = 0; step < kChildStepCount; step++) put(names, step, child_step_name(step));
  return names;
}

Napi::Object exit_status_to_js(Napi::Env env, const ExitStatus& result) {
  Napi::Object object = Napi::Object::New(env);
  put(object, "pid", result.pid);
  if (result.error != 0) {
    put(object, "errno", result.error);
  } else {
    set_wait_fields(&object, result.status, result.rusage);
  }
  return object;
}

}  // namespace ps
