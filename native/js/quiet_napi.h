// Property reads and writes that fail quietly.
//
// Another thread may terminate this worker_thread at any moment. From then on every Node-API call
// that could run JavaScript (any property read or write) fails, and node-addon-api's Get and Set
// turn the failure into an exception whose construction can itself end the process with a fatal
// error. These return undefined, or do nothing, instead: the method then gives up, and the
// thread's teardown cleans up after it (js/addon.cc registers every child and fd before it
// builds any result).
#ifndef PROCESS_SPAWNER_JS_QUIET_NAPI_H_
#define PROCESS_SPAWNER_JS_QUIET_NAPI_H_

#include <napi.h>

namespace ps {

inline Napi::Value get_field(const Napi::Object& object, const char* key) {
  napi_value value;
  if (napi_get_named_property(object.Env(), object, key, &value) != napi_ok) return object.Env().Undefined();
  return Napi::Value(object.Env(), value);
}

inline Napi::Value get_element(const Napi::Array& array, uint32_t index) {
  napi_value value;
  if (napi_get_element(array.Env(), array, index, &value) != napi_ok) return array.Env().Undefined();
  return Napi::Value(array.Env(), value);
}

template <typename T>
void put(const Napi::Object& object, const char* key, const T& value) {
  napi_set_named_property(object.Env(), object, key, Napi::Value::From(object.Env(), value));
}

template <typename T>
void put(const Napi::Object& object, uint32_t index, const T& value) {
  napi_set_element(object.Env(), object, index, Napi::Value::From(object.Env(), value));
}

}  // namespace ps

#endif  // PROCESS_SPAWNER_JS_QUIET_NAPI_H_
