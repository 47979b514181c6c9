// Binding registry: each native/src/*_binding.cc registers an initialiser from
// a static object, and addon.cc calls them all when Node loads the module.
// Adding a binding therefore needs no edit to addon.cc or the build files.
#pragma once

#include <napi.h>

namespace outrider {

using BindingInit = void (*)(Napi::Env env, Napi::Object exports);

// Registers `init` under `name`; called from static initialisers only.
bool RegisterBinding(const char* name, BindingInit init);

// Runs every registered initialiser against `exports`.
void InitBindings(Napi::Env env, Napi::Object exports);

}  // namespace outrider

#define OUTRIDER_REGISTER_BINDING(name, init) \
  static const bool outrider_binding_registered_##name = ::outrider::RegisterBinding(#name, init)
