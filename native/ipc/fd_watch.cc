#include "ipc/fd_watch.h"

namespace ps {

// The libuv handle lives on the heap until its close callback: uv_close is asynchronous, and
// the JS object may be collected before that. The async cleanup hook keeps a worker_thread's
// teardown running the loop until the handle is closed: Node closes the loop right after, and a
// handle still closing there would abort the process.
struct FdWatcher::Poll {
  uv_poll_t handle;
  FdWatcher* owner;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  bool closing = false;
};

Napi::Function FdWatcher::Define(Napi::Env env) {
  return DefineClass(env, "FdWatcher",
                     {
                         InstanceMethod("start", &FdWatcher::Start),
                         InstanceMethod("stop", &FdWatcher::Stop),
                         InstanceMethod("ref", &FdWatcher::Ref),
                         InstanceMethod("unref", &FdWatcher::Unref),
                         InstanceMethod("close", &FdWatcher::Close),
                     });
}

FdWatcher::FdWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdWatcher>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "FdWatcher expects (fd, onReady)").ThrowAsJavaScriptException();
    return;
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "FdWatcher: no event loop").ThrowAsJavaScriptException();
    return;
  }
  Poll* poll = new Poll();
  poll->owner = this;
  int error = uv_poll_init(loop, &poll->handle, info[0].As<Napi::Number>().Int32Value());
  if (error != 0) {
    delete poll;
    Napi::Error failure = Napi::Error::New(env, uv_strerror(error));
    failure.Set("errno", Napi::Number::New(env, error));
    failure.ThrowAsJavaScriptException();
    return;
  }
  poll->handle.data = poll;
  poll_ = poll;
  on_ready_ = Napi::Persistent(info[1].As<Napi::Function>());
  context_ = std::make_unique<Napi::AsyncContext>(env, "process-spawner:FdWatcher");
  // Kept from collection while its handle is open; close() lets it go.
  Napi::ObjectWrap<FdWatcher>::Ref();
  if (napi_add_async_cleanup_hook(env, &FdWatcher::OnEnvCleanup, poll, &poll->cleanup) != napi_ok) poll->cleanup = nullptr;
}

FdWatcher::~FdWatcher() {
  if (poll_ != nullptr) CloseHandle();
}

Napi::Value FdWatcher::Start(const Napi::CallbackInfo& info) {
  if (poll_ == nullptr) return Napi::Number::New(info.Env(), UV_EBADF);
  // IsBoolean/Value, not ToBoolean: a coercion fails (fatally, in node-addon-api) while a
  // worker_thread is being terminated.
  int events = 0;
  if (info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value()) events |= UV_READABLE;
  if (info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value()) events |= UV_WRITABLE;
  int error = events == 0 ? uv_poll_stop(&poll_->handle) : uv_poll_start(&poll_->handle, events, &FdWatcher::OnPoll);
  return Napi::Number::New(info.Env(), error);
}

Napi::Value FdWatcher::Stop(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_poll_stop(&poll_->handle);
  return info.Env().Undefined();
}

Napi::Value FdWatcher::Ref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  return info.Env().Undefined();
}

Napi::Value FdWatcher::Unref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  return info.Env().Undefined();
}

Napi::Value FdWatcher::Close(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) {
    CloseHandle();
    Napi::ObjectWrap<FdWatcher>::Unref();
  }
  return info.Env().Undefined();
}

void FdWatcher::CloseHandle() {
  Poll* poll = poll_;
  poll_ = nullptr;
  ClosePoll(poll);
}

// Once: the close callback frees the Poll and ends the cleanup hook, if there is one.
void FdWatcher::ClosePoll(Poll* poll) {
  poll->owner = nullptr;
  if (poll->closing) return;
  poll->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll->handle), [](uv_handle_t* handle) {
    Poll* closed = static_cast<Poll*>(handle->data);
    if (closed->cleanup != nullptr) napi_remove_async_cleanup_hook(closed->cleanup);
    delete closed;
  });
}

// A worker_thread that ends with the handle still open: it must be closed before its loop is.
void FdWatcher::OnEnvCleanup(napi_async_cleanup_hook_handle, void* data) {
  Poll* poll = static_cast<Poll*>(data);
  if (poll->owner != nullptr) poll->owner->poll_ = nullptr;
  ClosePoll(poll);
}

void FdWatcher::OnPoll(uv_poll_t* handle, int status, int events) {
  Poll* poll = static_cast<Poll*>(handle->data);
  if (poll->owner != nullptr) poll->owner->Ready(status, events);
}

void FdWatcher::Ready(int status, int events) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  on_ready_.MakeCallback(Value(),
                         {Napi::Number::New(env, status), Napi::Boolean::New(env, (events & UV_READABLE) != 0),
                          Napi::Boolean::New(env, (events & UV_WRITABLE) != 0)},
                         *context_);
  // As for any callback from the event loop: what it threw is the process's uncaught exception.
  if (env.IsExceptionPending()) {
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

}  // namespace ps
