// N-API helpers shared by the addon's sources.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

// Returns nullptr from the calling callback, with a JS error, when an N-API call fails.
#define CHECK(call)                                                 \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error(env, nullptr, "native call failed: " #call); \
      return nullptr;                                               \
    }                                                               \
  } while (0)

namespace strata {

// The data and length of `v` when it is a typed array of type `want`.
inline bool typedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &ab, &offset) != napi_ok) return false;
  return type == want;
}

// A new Uint32Array holding a copy of `src[0, n)`, or nullptr when N-API fails.
inline napi_value uint32Array(napi_env env, const uint32_t* src, size_t n) {
  void* data = nullptr;
  napi_value ab, out;
  if (napi_create_arraybuffer(env, n * 4, &data, &ab) != napi_ok) return nullptr;
  if (n > 0) std::memcpy(data, src, n * 4);
  if (napi_create_typedarray(env, napi_uint32_array, n, ab, 0, &out) != napi_ok) return nullptr;
  return out;
}

// A function the addon puts on its exports.
struct Export {
  const char* name;
  napi_callback fn;
};

// Puts `fns` on `exports`, each called with `data` (napi_get_cb_info hands it back).
template <size_t N>
inline void defineFunctions(napi_env env, napi_value exports, const Export (&fns)[N], void* data = nullptr) {
  napi_property_descriptor props[N];
  for (size_t i = 0; i < N; i++) props[i] = {fns[i].name, nullptr, fns[i].fn, nullptr, nullptr, nullptr, napi_default, data};
  napi_define_properties(env, exports, N, props);
}

// A new T owned by this addon instance, that is by the thread that loaded it (each seal or merge worker loads the
// addon): deleted when the thread's environment ends.
template <typename T>
T* perInstance(napi_env env) {
  T* p = new T();
  napi_add_env_cleanup_hook(env, [](void* data) { delete static_cast<T*>(data); }, p);
  return p;
}

}  // namespace strata
