// The addon's exports. One instance per JavaScript thread (main thread or worker_thread), each
// with its own SIGCHLD self-pipe; the methods are thin wrappers over spawn.h and sigchld.h.
#include <errno.h>
#include <napi.h>

#include <unistd.h>

#include <unordered_map>
#include <vector>

#include "convert.h"
#include "fd.h"
#include "ipc/fd_passing.h"
#include "ipc/fd_watch.h"
#include "process_control.h"
#include "sigchld.h"
#include "spawn.h"
#include "sync.h"
#include "sync_convert.h"

namespace ps {

class ProcessSpawnerAddon : public Napi::Addon<ProcessSpawnerAddon> {
 public:
  ProcessSpawnerAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        InstanceMethod("spawn", &ProcessSpawnerAddon::Spawn),
        InstanceMethod("spawnSync", &ProcessSpawnerAddon::SpawnSync),
        InstanceMethod("reap", &ProcessSpawnerAddon::Reap),
        InstanceMethod("kill", &ProcessSpawnerAddon::Kill),
        InstanceMethod("killProcessGroup", &ProcessSpawnerAddon::KillProcessGroup),
        InstanceMethod("killGroupOfReapedLeader", &ProcessSpawnerAddon::KillGroupOfReapedLeader),
        InstanceMethod("closeFd", &ProcessSpawnerAddon::CloseFd),
        InstanceMethod("openSigchldPipe", &ProcessSpawnerAddon::OpenSigchldPipe),
        InstanceMethod("ensureSigchldHandler", &ProcessSpawnerAddon::EnsureSigchldHandler),
        InstanceMethod("setChildSubreaper", &ProcessSpawnerAddon::SetChildSubreaper),
        InstanceMethod("foregroundProcessGroup", &ProcessSpawnerAddon::ForegroundProcessGroup),
        InstanceMethod("setForegroundProcessGroup", &ProcessSpawnerAddon::SetForegroundProcessGroup),
        // Handle passing (issue 19)
        InstanceMethod("channelSocketpair", &ProcessSpawnerAddon::ChannelSocketpair),
        InstanceMethod("sendWithFds", &ProcessSpawnerAddon::SendWithFds),
        InstanceMethod("receiveWithFds", &ProcessSpawnerAddon::ReceiveWithFds),
        InstanceMethod("duplicateFd", &ProcessSpawnerAddon::DuplicateFd),
        InstanceMethod("socketKind", &ProcessSpawnerAddon::SocketKind),
        InstanceValue("FdWatcher", FdWatcher::Define(env)),
        InstanceValue("rlimitResources", rlimit_resources(env)),
        InstanceValue("childStepNames", child_step_names(env)),
    });
  }

  // The thread is going away: stop the handler writing to its pipe, and hand the children it
  // has not reaped, with their pidfds, to the addon's orphan reaper.
  ~ProcessSpawnerAddon() {
    if (sigchld_write_fd_ >= 0) close_sigchld_pipe(sigchld_write_fd_);
    std::vector<Orphan> orphans;
    for (const auto& [pid, pidfd] : unreaped_) orphans.push_back({pid, pidfd});
    adopt_orphans(orphans.data(), orphans.size());
  }

 private:
  // spawn(request) -> { pid, fds } | { errno, syscall } | { pid, errno, childStep, status, ... }
  Napi::Value Spawn(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "spawn expects a request object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    SpawnRequest request;
    if (!request_from_js(info[0].As<Napi::Object>(), &request)) return env.Undefined();
    SpawnOutcome outcome = spawn_process(request);
    if (outcome.pid > 0 && outcome.child_errno == 0) unreaped_.emplace(outcome.pid, open_child_pidfd(outcome.pid));
    Napi::Object result = outcome_to_js(env, outcome);
    // child_process may have replaced our handler since the last spawn (libuv does not chain):
    // the caller sweeps when this says the handler had to be put back.
    result.Set("handlerReinstalled", ensure_sigchld_handler());
    return result;
  }

  // spawnSync(request, limits) -> a failed spawn as spawn() reports it, or { pid, output, wait, ... }
  // once the child has been reaped by the loop that made it. The child is never in unreaped_:
  // it is not this thread's reaper's to see.
  Napi::Value SpawnSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject()) {
      Napi::TypeError::New(env, "spawnSync expects (request, limits)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    SpawnRequest request;
    SyncLimits limits;
    if (!request_from_js(info[0].As<Napi::Object>(), &request)) return env.Undefined();
    if (!sync_limits_from_js(info[1].As<Napi::Object>(), &limits)) return env.Undefined();
    return sync_outcome_to_js(env, spawn_sync(request, limits));
  }

  // reap(pids: Int32Array) -> the results of those that have exited (or failed with ECHILD).
  Napi::Value Reap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "reap expects an Int32Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Int32Array pids = info[0].As<Napi::Int32Array>();
    Napi::Array results = Napi::Array::New(env);
    uint32_t count = 0;
    for (size_t i = 0; i < pids.ElementLength(); i++) {
      ReapResult result;
      auto child = unreaped_.find(pids[i]);
      if (!reap_if_exited(pids[i], child == unreaped_.end() ? -1 : child->second, &result)) continue;
      forget(result.pid);
      results.Set(count++, reap_result_to_js(env, result));
    }
    reap_orphans();
    return results;
  }

  // kill(pid, signal) -> 0 or an errno value. Only a child this thread spawned and has not
  // reaped; through its pidfd where the kernel has them.
  Napi::Value Kill(const Napi::CallbackInfo& info) {
    int32_t pid, signal;
    if (!two_int32s(info, "kill expects (pid, signal)", &pid, &signal)) return info.Env().Undefined();
    auto child = unreaped_.find(pid);
    if (child == unreaped_.end()) return Napi::Number::New(info.Env(), ESRCH);
    return Napi::Number::New(info.Env(), signal_child(pid, child->second, signal));
  }

  // killProcessGroup(pgid, signal) -> 0 or an errno value: kill(-pgid, signal).
  Napi::Value KillProcessGroup(const Napi::CallbackInfo& info) {
    int32_t pgid, signal;
    if (!two_int32s(info, "killProcessGroup expects (pgid, signal)", &pgid, &signal)) {
      return info.Env().Undefined();
    }
    if (pgid <= 1) return Napi::Number::New(info.Env(), ESRCH);  // never "all", never init's
    return Napi::Number::New(info.Env(), kill_process_group(pgid, signal));
  }

  // killGroupOfReapedLeader(pgid, signal) -> 0 or an errno value; ESRCH once the leader's pid
  // is in use again, which proves the group emptied (see sigchld.h).
  Napi::Value KillGroupOfReapedLeader(const Napi::CallbackInfo& info) {
    int32_t pgid, signal;
    if (!two_int32s(info, "killGroupOfReapedLeader expects (pgid, signal)", &pgid, &signal)) {
      return info.Env().Undefined();
    }
    if (pgid <= 1) return Napi::Number::New(info.Env(), ESRCH);
    return Napi::Number::New(info.Env(), kill_group_of_reaped_leader(pgid, signal));
  }

  // closeFd(fd) -> 0 or an errno value. For pipe ends of ours that no stream ever took over
  // (Node's fs.closeSync warns about fds it did not open).
  Napi::Value CloseFd(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(info.Env(), "closeFd expects an fd").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    UniqueFd fd(info[0].As<Napi::Number>().Int32Value());
    return Napi::Number::New(info.Env(), fd.valid() ? 0 : EBADF);
  }

  // Reads the first two arguments as int32s ((pid, signal), (fd, pgid), ...); throws a TypeError
  // and returns false otherwise.
  static bool two_int32s(const Napi::CallbackInfo& info, const char* usage, int32_t* id,
                         int32_t* signal) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
      return false;
    }
    *id = info[0].As<Napi::Number>().Int32Value();
    *signal = info[1].As<Napi::Number>().Int32Value();
    return true;
  }

  // openSigchldPipe() -> the read end (owned by the caller from now on), or -errno.
  Napi::Value OpenSigchldPipe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (sigchld_write_fd_ >= 0) {
      Napi::Error::New(env, "the SIGCHLD pipe of this thread is already open")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int read_fd = -1;
    if (int error = open_sigchld_pipe(&read_fd, &sigchld_write_fd_)) {
      return Napi::Number::New(env, -error);
    }
    return Napi::Number::New(env, read_fd);
  }

  // ensureSigchldHandler() -> true when it had to install the handler again.
  Napi::Value EnsureSigchldHandler(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), ensure_sigchld_handler());
  }

  // setChildSubreaper() -> 0 or an errno value.
  Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), set_child_subreaper());
  }

  // foregroundProcessGroup(fd) -> tcgetpgrp(fd), or -errno.
  Napi::Value ForegroundProcessGroup(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(info.Env(), "foregroundProcessGroup expects an fd").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Number::New(info.Env(), foreground_process_group(info[0].As<Napi::Number>().Int32Value()));
  }

  // setForegroundProcessGroup(fd, pgid) -> 0 or an errno value: tcsetpgrp with SIGTTOU blocked.
  Napi::Value SetForegroundProcessGroup(const Napi::CallbackInfo& info) {
    int32_t fd, pgid;
    if (!two_int32s(info, "setForegroundProcessGroup expects (fd, pgid)", &fd, &pgid)) {
      return info.Env().Undefined();
    }
    if (pgid <= 1) return Napi::Number::New(info.Env(), EINVAL);
    return Napi::Number::New(info.Env(), set_foreground_process_group(fd, pgid));
  }

  // Handle passing (issue 19): thin wrappers over ipc/fd_passing.h.

  // channelSocketpair() -> [ours (non-blocking), the child's] or -errno.
  Napi::Value ChannelSocketpair(const Napi::CallbackInfo& info) {
    int fds[2];
    if (int error = make_channel_socketpair(fds)) return Napi::Number::New(info.Env(), -error);
    Napi::Array pair = Napi::Array::New(info.Env(), 2);
    pair.Set(0u, Napi::Number::New(info.Env(), fds[0]));
    pair.Set(1u, Napi::Number::New(info.Env(), fds[1]));
    return pair;
  }

  // sendWithFds(fd, bytes: Uint8Array, fds: number[]) -> bytes sent, or -errno.
  Napi::Value SendWithFds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsTypedArray() || !info[2].IsArray()) {
      Napi::TypeError::New(env, "sendWithFds expects (fd, Uint8Array, fds)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    Napi::Array list = info[2].As<Napi::Array>();
    std::vector<int> fds;
    for (uint32_t i = 0; i < list.Length(); i++) fds.push_back(list.Get(i).As<Napi::Number>().Int32Value());
    ssize_t sent = send_with_fds(info[0].As<Napi::Number>().Int32Value(), bytes.Data(), bytes.ByteLength(),
                                 fds.data(), fds.size());
    return Napi::Number::New(env, static_cast<double>(sent));
  }

  // receiveWithFds(fd, buffer: Uint8Array) -> { bytes (0 at EOF, -errno), fds, truncated }.
  Napi::Value ReceiveWithFds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray()) {
      Napi::TypeError::New(env, "receiveWithFds expects (fd, Uint8Array)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array buffer = info[1].As<Napi::Uint8Array>();
    Received received = receive_with_fds(info[0].As<Napi::Number>().Int32Value(), buffer.Data(), buffer.ByteLength());
    Napi::Object result = Napi::Object::New(env);
    result.Set("bytes", Napi::Number::New(env, static_cast<double>(received.bytes)));
    Napi::Array fds = Napi::Array::New(env, received.fds.size());
    for (size_t i = 0; i < received.fds.size(); i++) fds.Set(static_cast<uint32_t>(i), Napi::Number::New(env, received.fds[i]));
    result.Set("fds", fds);
    result.Set("truncated", Napi::Boolean::New(env, received.truncated));
    return result;
  }

  // duplicateFd(fd) -> a close-on-exec copy, or -errno.
  Napi::Value DuplicateFd(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(info.Env(), "duplicateFd expects an fd").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Number::New(info.Env(), duplicate_fd(info[0].As<Napi::Number>().Int32Value()));
  }

  // socketKind(fd) -> 'tcp' | 'udp4' | 'udp6' | 'unix' | 'other'.
  Napi::Value SocketKind(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(info.Env(), "socketKind expects an fd").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::String::New(info.Env(), socket_kind(info[0].As<Napi::Number>().Int32Value()));
  }

  // Reaped: its pidfd is closed, and it can no longer be signalled through this thread.
  void forget(pid_t pid) {
    auto child = unreaped_.find(pid);
    if (child == unreaped_.end()) return;
    if (child->second >= 0) close(child->second);
    unreaped_.erase(child);
  }

  int sigchld_write_fd_ = -1;
  // Spawned by this thread and not reaped yet, with its pidfd (-1 without one): the orphans if
  // the thread goes away first.
  std::unordered_map<pid_t, int> unreaped_;
};

}  // namespace ps

using ps::ProcessSpawnerAddon;
NODE_API_ADDON(ProcessSpawnerAddon)
