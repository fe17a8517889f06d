// The addon's exports: one instance per JavaScript thread (the main thread, each worker_thread).
// Each instance has its thread's exit watcher (exits/exit_watcher.h) and owns the fds of its
// spawns until JavaScript takes them; the methods are thin wrappers over parent/, exits/ and
// child/.
#include <errno.h>
#include <napi.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <memory>
#include <unordered_map>
#include <vector>

#include "exits/exit_watcher.h"
#include "exits/orphans.h"
#include "exits/reap.h"
#include "exits/sigchld.h"
#include "ipc/fd_passing.h"
#include "ipc/fd_watch.h"
#include "js/convert.h"
#include "js/quiet_napi.h"
#include "js/sync_convert.h"
#include "parent/process_control.h"
#include "parent/spawn.h"
#include "parent/sync.h"

namespace ps {

namespace {

// The JavaScript thread that started the process. Its environment is torn down only when the
// process itself is ending, when children left running are init's to reap.
bool is_process_main_thread() {
  return syscall(SYS_gettid) == getpid();
}

}  // namespace

class ProcessSpawnerAddon;

// An fd handed to JavaScript (takeFd) that no stream has adopted yet (streamHolds), with what it
// was: its file's device and inode.
struct FdBeingTaken {
  uint64_t key;
  int64_t slot;
  int fd;
  dev_t device;
  ino_t inode;
};

// What a thread's teardown needs, kept apart from the addon object: Node may destroy the addon
// object (its instance data) before libuv has finished closing the watcher's handles, so this
// state lives until both are done.
struct ThreadState {
  ProcessSpawnerAddon* addon = nullptr;  // null once the addon object is destroyed
  ExitWatcher* watcher = nullptr;         // null until the first spawn, and after the teardown
  // Our ends of each spawn's pipes that JavaScript has not taken yet, by spawn key (-1: taken).
  // Owned here so that a thread terminated between the spawn and its streams leaks none.
  std::unordered_map<uint64_t, std::vector<int>> untaken_fds;
  // Taken, but the stream that takes them over was not made yet: a termination can fall in
  // between. Usually empty; never more than the fds of the stream being made.
  std::vector<FdBeingTaken> being_taken;
  napi_async_cleanup_hook_handle cleanup_hook = nullptr;
  bool torn_down = false;
  int holders = 2;  // the addon object and the teardown; the last to let go deletes this

  void release() {
    if (--holders == 0) delete this;
  }
  void close_untaken_fds() {
    for (auto& [key, fds] : untaken_fds) {
      for (int fd : fds) {
        if (fd >= 0) close(fd);
      }
    }
    untaken_fds.clear();
  }
  // Node closes every handle of a thread (every stream's fd) before it runs the cleanup hooks,
  // so an fd being taken that still names the same pipe at this point has no stream, and never
  // will. One that was closed, or whose number now names another file (another thread opened
  // it), is left alone.
  void close_fds_never_adopted() {
    for (const FdBeingTaken& taken : being_taken) {
      struct stat now;
      if (fstat(taken.fd, &now) == 0 && now.st_dev == taken.device && now.st_ino == taken.inode) close(taken.fd);
    }
    being_taken.clear();
  }
};

class ProcessSpawnerAddon : public Napi::Addon<ProcessSpawnerAddon> {
 public:
  ProcessSpawnerAddon(Napi::Env env, Napi::Object exports) : env_(env), state_(new ThreadState) {
    state_->addon = this;
    DefineAddon(exports, {
        InstanceMethod("watchExits", &ProcessSpawnerAddon::WatchExits),
        InstanceMethod("spawn", &ProcessSpawnerAddon::Spawn),
        InstanceMethod("spawnSync", &ProcessSpawnerAddon::SpawnSync),
        InstanceMethod("takeFd", &ProcessSpawnerAddon::TakeFd),
        InstanceMethod("streamHolds", &ProcessSpawnerAddon::StreamHolds),
        InstanceMethod("closeFd", &ProcessSpawnerAddon::CloseFd),
        InstanceMethod("closeUntakenFd", &ProcessSpawnerAddon::CloseUntakenFd),
        InstanceMethod("holdLoop", &ProcessSpawnerAddon::HoldLoop),
        InstanceMethod("kill", &ProcessSpawnerAddon::Kill),
        InstanceMethod("killProcessGroup", &ProcessSpawnerAddon::KillProcessGroup),
        InstanceMethod("killGroupOfReapedLeader", &ProcessSpawnerAddon::KillGroupOfReapedLeader),
        InstanceMethod("reapAdoptedChildren", &ProcessSpawnerAddon::ReapAdoptedChildren),
        InstanceMethod("orphansWaiting", &ProcessSpawnerAddon::OrphansWaiting),
        InstanceMethod("sigchldHolder", &ProcessSpawnerAddon::SigchldHolderName),
        InstanceMethod("setChildSubreaper", &ProcessSpawnerAddon::SetChildSubreaper),
        InstanceMethod("foregroundProcessGroup", &ProcessSpawnerAddon::ForegroundProcessGroup),
        InstanceMethod("setForegroundProcessGroup", &ProcessSpawnerAddon::SetForegroundProcessGroup),
        // Handle passing: the drop-in's IPC channel (src/child_process/fd-socket.ts).
        InstanceMethod("channelSocketpair", &ProcessSpawnerAddon::ChannelSocketpair),
        InstanceMethod("sendWithFds", &ProcessSpawnerAddon::SendWithFds),
        InstanceMethod("receiveWithFds", &ProcessSpawnerAddon::ReceiveWithFds),
        InstanceMethod("duplicateFd", &ProcessSpawnerAddon::DuplicateFd),
        InstanceMethod("socketKind", &ProcessSpawnerAddon::SocketKind),
        InstanceValue("FdWatcher", FdWatcher::Define(env)),
        InstanceValue("rlimitResources", rlimit_resources(env)),
        InstanceValue("childStepNames", child_step_names(env)),
        InstanceValue("stdioCodes", stdio_codes(env)),
        InstanceValue("spawnRequestFields", spawn_request_fields(env)),
    });
    // Async, so that Node keeps running the loop until libuv has closed the watcher's handles:
    // a worker_thread's loop must have none left when Node closes it.
    if (napi_add_async_cleanup_hook(env, OnTeardown, state_, &state_->cleanup_hook) != napi_ok) {
      state_->cleanup_hook = nullptr;
    }
  }

  ~ProcessSpawnerAddon() {
    state_->addon = nullptr;
    if (!state_->torn_down) TearDown(state_);  // no cleanup hook could be added: do it now
    state_->release();
  }

 private:
  // watchExits(listener): before the first spawn. listener(exits) is called from the event loop
  // with [{ key, pid, status, exitCode, termSignal, coreDumped, rusage } | { key, pid, errno }].
  // Returns 0 or an errno value.
  Napi::Value WatchExits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "watchExits expects a function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (state_->watcher != nullptr) {
      Napi::Error::New(env, "this thread already watches its exits").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return Napi::Number::New(env, EINVAL);
    if (int error = ExitWatcher::open(loop, OnExits, state_, &state_->watcher)) {
      return Napi::Number::New(env, error);
    }
    exit_listener_ = Napi::Persistent(info[0].As<Napi::Function>());
    exit_context_ = std::make_unique<Napi::AsyncContext>(env, "process-spawner:exit");
    return Napi::Number::New(env, 0);
  }

  // spawn(request) -> { key, pid, fds, spawnMethod, cloneSyscall } | { errno, syscall }
  //   | { pid, errno, childStep, status, ... } (the child failed before exec and is reaped).
  // The child is watched from the clone on, so its exit cannot be missed; `fds` are only
  // numbers: takeFd(key, slot) hands each over.
  Napi::Value Spawn(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "spawn expects a request object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (state_->watcher == nullptr) {
      Napi::Error::New(env, "watchExits must be called before spawn").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    SpawnRequest request;
    if (!request_from_js(info[0].As<Napi::Object>(), &request)) return env.Undefined();
    SpawnOutcome outcome = spawn_process(request);
    if (outcome.pid <= 0 || outcome.child_errno != 0) return outcome_to_js(env, outcome);
    // Registered before any JavaScript value is made: if the thread is being terminated, what
    // follows fails, and the teardown still finds the child and its fds.
    const uint64_t key = next_key_++;
    state_->watcher->add(key, outcome.pid, outcome.pidfd);
    if (has_pipe(outcome.parent_fds)) state_->untaken_fds.emplace(key, outcome.parent_fds);
    Napi::Object result = outcome_to_js(env, outcome);
    put(result, "key", static_cast<double>(key));
    return result;
  }

  // spawnSync(request, limits) -> a failed spawn as spawn() reports it, or { pid, output, wait, ... }
  // once the child has been reaped by the loop that made it. The child is never seen by the
  // exit watcher.
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

  // takeFd(key, slot) -> the fd, for a stream to adopt; -1 if there is none to take. Until
  // streamHolds(key, slot) says a stream has it, a teardown still closes it (see ThreadState).
  Napi::Value TakeFd(const Napi::CallbackInfo& info) {
    int* fd = UntakenFd(info, "takeFd expects (key, slot)");
    if (fd == nullptr) return Napi::Number::New(info.Env(), -1);
    const int taken = *fd;
    *fd = -1;
    const double key = info[0].As<Napi::Number>().DoubleValue();
    ForgetIfAllTaken(key);
    struct stat file;
    if (fstat(taken, &file) == 0) {
      state_->being_taken.push_back(
          {static_cast<uint64_t>(key), info[1].As<Napi::Number>().Int64Value(), taken, file.st_dev, file.st_ino});
    }
    return Napi::Number::New(info.Env(), taken);
  }

  // streamHolds(key, slot): the stream made from takeFd(key, slot) owns its fd now.
  Napi::Value StreamHolds(const Napi::CallbackInfo& info) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(info.Env(), "streamHolds expects (key, slot)").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    const uint64_t key = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    const int64_t slot = info[1].As<Napi::Number>().Int64Value();
    std::vector<FdBeingTaken>& taken = state_->being_taken;
    for (auto entry = taken.begin(); entry != taken.end(); ++entry) {
      if (entry->key == key && entry->slot == slot) {
        taken.erase(entry);
        break;
      }
    }
    return info.Env().Undefined();
  }

  // closeUntakenFd(key, slot) -> 0, or EBADF if there is none: a pipe end nobody will use.
  Napi::Value CloseUntakenFd(const Napi::CallbackInfo& info) {
    int* fd = UntakenFd(info, "closeUntakenFd expects (key, slot)");
    if (fd == nullptr) return Napi::Number::New(info.Env(), EBADF);
    close(*fd);
    *fd = -1;
    ForgetIfAllTaken(info[0].As<Napi::Number>().DoubleValue());
    return Napi::Number::New(info.Env(), 0);
  }

  // closeFd(fd) -> 0 or an errno value: an fd JavaScript owns that no stream took over (a
  // received SCM_RIGHTS fd, say; Node's fs.closeSync warns about fds it did not open).
  Napi::Value CloseFd(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(info.Env(), "closeFd expects an fd").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    // Not retried on EINTR: Linux has released the fd even then.
    const int fd = info[0].As<Napi::Number>().Int32Value();
    return Napi::Number::New(info.Env(), close(fd) == 0 ? 0 : errno);
  }

  // holdLoop(held): whether the event loop stays alive while this thread's children run.
  Napi::Value HoldLoop(const Napi::CallbackInfo& info) {
    if (state_->watcher != nullptr && info.Length() > 0 && info[0].IsBoolean()) {
      state_->watcher->hold_loop(info[0].As<Napi::Boolean>().Value());
    }
    return info.Env().Undefined();
  }

  // kill(key, signal) -> 0 or an errno value; ESRCH once the child has been reaped. Through the
  // child's pidfd, so never a recycled pid.
  Napi::Value Kill(const Napi::CallbackInfo& info) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(info.Env(), "kill expects (key, signal)").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (state_->watcher == nullptr) return Napi::Number::New(info.Env(), ESRCH);
    const uint64_t key = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    return Napi::Number::New(info.Env(), state_->watcher->signal(key, info[1].As<Napi::Number>().Int32Value()));
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
  // is in use again, which proves the group emptied (see exits/reap.h).
  Napi::Value KillGroupOfReapedLeader(const Napi::CallbackInfo& info) {
    int32_t pgid, signal;
    if (!two_int32s(info, "killGroupOfReapedLeader expects (pgid, signal)", &pgid, &signal)) {
      return info.Env().Undefined();
    }
    if (pgid <= 1) return Napi::Number::New(info.Env(), ESRCH);
    return Napi::Number::New(info.Env(), kill_group_of_reaped_leader(pgid, signal));
  }

  // reapAdoptedChildren(pids: Int32Array) -> the results of those that have exited. For the
  // command, which as a child subreaper inherits descendants it never spawned (and so holds no
  // pidfd for): wait4 on each pid, never -1.
  Napi::Value ReapAdoptedChildren(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "reapAdoptedChildren expects an Int32Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Int32Array pids = info[0].As<Napi::Int32Array>();
    Napi::Array results = Napi::Array::New(env);
    uint32_t count = 0;
    for (size_t i = 0; i < pids.ElementLength(); i++) {
      ExitStatus exit;
      if (reap_pid_if_exited(pids[i], &exit)) put(results, count++, exit_status_to_js(env, exit));
    }
    return results;
  }

  // orphansWaiting() -> how many children of ended threads are not reaped yet.
  Napi::Value OrphansWaiting(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(orphans_waiting()));
  }

  // sigchldHolder() -> 'nobody' | 'us' | 'someone-else': who holds SIGCHLD now (sigchld.h).
  Napi::Value SigchldHolderName(const Napi::CallbackInfo& info) {
    switch (sigchld_holder()) {
      case SigchldHolder::kUs:
        return Napi::String::New(info.Env(), "us");
      case SigchldHolder::kSomeoneElse:
        return Napi::String::New(info.Env(), "someone-else");
      case SigchldHolder::kNobody:
        break;
    }
    return Napi::String::New(info.Env(), "nobody");
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

  // Handle passing: thin wrappers over ipc/fd_passing.h.

  // channelSocketpair() -> [ours (non-blocking), the child's] or -errno.
  Napi::Value ChannelSocketpair(const Napi::CallbackInfo& info) {
    int fds[2];
    if (int error = make_channel_socketpair(fds)) return Napi::Number::New(info.Env(), -error);
    Napi::Array pair = Napi::Array::New(info.Env(), 2);
    put(pair, 0u, fds[0]);
    put(pair, 1u, fds[1]);
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
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value fd = get_element(list, i);
      if (!fd.IsNumber()) return env.Undefined();  // a terminating thread: nothing is sent
      fds.push_back(fd.As<Napi::Number>().Int32Value());
    }
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
    put(result, "bytes", static_cast<double>(received.bytes));
    Napi::Array fds = Napi::Array::New(env, received.fds.size());
    for (size_t i = 0; i < received.fds.size(); i++) put(fds, static_cast<uint32_t>(i), received.fds[i]);
    put(result, "fds", fds);
    put(result, "truncated", received.truncated);
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

  // Reads the first two arguments as int32s; throws a TypeError and returns false otherwise.
  static bool two_int32s(const Napi::CallbackInfo& info, const char* usage, int32_t* first, int32_t* second) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
      return false;
    }
    *first = info[0].As<Napi::Number>().Int32Value();
    *second = info[1].As<Napi::Number>().Int32Value();
    return true;
  }

  static bool has_pipe(const std::vector<int>& fds) {
    for (int fd : fds) {
      if (fd >= 0) return true;
    }
    return false;
  }

  // The untaken fd at (key, slot), or nullptr; throws a TypeError on malformed arguments.
  int* UntakenFd(const Napi::CallbackInfo& info, const char* usage) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
      return nullptr;
    }
    auto record = state_->untaken_fds.find(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
    const int64_t slot = info[1].As<Napi::Number>().Int64Value();
    if (record == state_->untaken_fds.end() || slot < 0 || slot >= static_cast<int64_t>(record->second.size())) {
      return nullptr;
    }
    int* fd = &record->second[static_cast<size_t>(slot)];
    return *fd >= 0 ? fd : nullptr;
  }

  void ForgetIfAllTaken(double key) {
    auto record = state_->untaken_fds.find(static_cast<uint64_t>(key));
    if (record != state_->untaken_fds.end() && !has_pipe(record->second)) state_->untaken_fds.erase(record);
  }

  // From the event loop: the children the watcher has just reaped, to JavaScript.
  static void OnExits(void* context, const std::vector<ExitWatcher::Exit>& exits) {
    ProcessSpawnerAddon* addon = static_cast<ThreadState*>(context)->addon;
    if (addon != nullptr) addon->DeliverExits(exits);
  }

  void DeliverExits(const std::vector<ExitWatcher::Exit>& exits) {
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    Napi::Array results = Napi::Array::New(env, exits.size());
    for (size_t i = 0; i < exits.size(); i++) {
      Napi::Object result = exit_status_to_js(env, exits[i].status);
      put(result, "key", static_cast<double>(exits[i].key));
      put(results, static_cast<uint32_t>(i), result);
    }
    // MakeCallback, as Node does for its own handles: the nextTick queue and the microtasks run
    // after it. An exception they let through (the listener itself catches its listeners'
    // errors and throws them again on the next tick) is, as for Node's own callbacks, the
    // process's uncaught exception. napi_fatal_exception does nothing while a worker_thread is
    // being terminated, when no JavaScript can run.
    exit_listener_.MakeCallback(env.Global(), {results}, *exit_context_);
    if (env.IsExceptionPending()) {
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
    }
  }

  // The thread is going away (Node's cleanup of its environment, after it has closed every
  // handle). The fds no stream holds are closed; the children not reaped yet go to the
  // orphanage (exits/orphans.h), unless the process itself is ending.
  static void OnTeardown(napi_async_cleanup_hook_handle, void* context) {
    TearDown(static_cast<ThreadState*>(context));
  }

  static void TearDown(ThreadState* state) {
    state->torn_down = true;
    state->close_untaken_fds();
    state->close_fds_never_adopted();
    if (state->watcher == nullptr) {
      FinishTeardown(state);
      return;
    }
    ExitWatcher* watcher = state->watcher;
    state->watcher = nullptr;
    watcher->close(!is_process_main_thread(), FinishTeardown, state);
  }

  static void FinishTeardown(void* context) {
    ThreadState* state = static_cast<ThreadState*>(context);
    if (state->cleanup_hook != nullptr) napi_remove_async_cleanup_hook(state->cleanup_hook);
    state->cleanup_hook = nullptr;
    state->release();
  }

  Napi::Env env_;
  ThreadState* state_;
  uint64_t next_key_ = 1;
  Napi::FunctionReference exit_listener_;
  std::unique_ptr<Napi::AsyncContext> exit_context_;
};

}  // namespace ps

using ps::ProcessSpawnerAddon;
NODE_API_ADDON(ProcessSpawnerAddon)
