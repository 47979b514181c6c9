// Module entry point of the Outrider addon. The bindings register themselves
// (registry.h); this file only runs them and reports the build configuration.
#include <napi.h>

#include <vector>

#include "registry.h"

namespace outrider {
namespace {

struct Entry {
  const char* name;
  BindingInit init;
};

std::vector<Entry>& Registry() {
  // Function-local static: safe to use from other translation units' static
  // initialisers whatever their order.
  static std::vector<Entry> entries;
  return entries;
}

}  // namespace

bool RegisterBinding(const char* name, BindingInit init) {
  Registry().push_back(Entry{name, init});
  return true;
}

void InitBindings(Napi::Env env, Napi::Object exports) {
  Napi::Array names = Napi::Array::New(env);
  uint32_t i = 0;
  for (const Entry& entry : Registry()) {
    entry.init(env, exports);
    names.Set(i++, Napi::String::New(env, entry.name));
  }
  exports.Set("bindings", names);
#if defined(__SANITIZE_ADDRESS__)
  exports.Set("sanitizer", Napi::String::New(env, "asan"));
#elif defined(__SANITIZE_THREAD__)
  exports.Set("sanitizer", Napi::String::New(env, "tsan"));
#else
  exports.Set("sanitizer", Napi::String::New(env, ""));
#endif
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
}

}  // namespace outrider

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  outrider::InitBindings(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(outrider_native, Init)
