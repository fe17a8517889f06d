// Readiness of one fd in the event loop of the calling JavaScript thread (issue 19): a uv_poll
// handle, so that the IPC channel can read with recvmsg (which keeps SCM_RIGHTS fds, where
// libuv's read() of a plain socket would drop them) and write with sendmsg, when the socket is
// ready, without a thread of its own. It only tells: reading, writing and closing the fd are
// the caller's.
#ifndef PROCESS_SPAWNER_IPC_FD_WATCH_H_
#define PROCESS_SPAWNER_IPC_FD_WATCH_H_

#include <napi.h>
#include <uv.h>

#include <memory>

namespace ps {

// new FdWatcher(fd, onReady(errno, readable, writable)). start(readable, writable) -> 0 or
// -errno; stop(); ref(); unref() (keeping the event loop alive or not, as a handle does; ref'd
// at first); close() (the fd stays open). A callback that throws is an uncaught exception.
class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit FdWatcher(const Napi::CallbackInfo& info);
  ~FdWatcher() override;

 private:
  struct Poll;

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(napi_async_cleanup_hook_handle handle, void* poll);
  static void ClosePoll(Poll* poll);
  void Ready(int status, int events);
  // uv_close, once; the Poll frees itself in its close callback.
  void CloseHandle();

  Poll* poll_ = nullptr;
  Napi::FunctionReference on_ready_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

}  // namespace ps

#endif  // PROCESS_SPAWNER_IPC_FD_WATCH_H_
