// Implementation of nvml_library.h.
#include "gpu/nvml_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>

namespace outrider {
namespace gpu {

const char* const kFieldNames[kFieldCount] = {
    "gpuUtil",        "memCopyUtil",    "fbUsed",         "fbFree",         "fbTotal",
    "powerUsage",     "powerLimit",     "energy",         "gpuTemp",        "smClock",
    "memClock",       "pcieTx",         "pcieRx",         "eccSbeVolatile", "eccDbeVolatile",
    "eccSbeAggregate", "eccDbeAggregate", "throttleReasons",
};

struct NvmlLibrary::Api {
  NvmlVoidFn init = nullptr;
  NvmlVoidFn shutdown = nullptr;
  NvmlErrorStringFn error_string = nullptr;
  NvmlSystemStringFn driver_version = nullptr;
  NvmlCountFn count = nullptr;
  NvmlHandleByIndexFn handle_by_index = nullptr;
  NvmlDeviceStringFn name = nullptr;
  NvmlDeviceStringFn uuid = nullptr;
  NvmlDeviceUintFn minor = nullptr;
  NvmlPciInfoFn pci_info = nullptr;
  NvmlUtilizationFn utilization = nullptr;
  NvmlMemoryFn memory = nullptr;
  NvmlDeviceUintFn power_usage = nullptr;
  NvmlDeviceUintFn power_limit = nullptr;
  NvmlDeviceUllFn energy = nullptr;
  NvmlDeviceSelUintFn temperature = nullptr;
  NvmlDeviceSelUintFn clock = nullptr;
  NvmlDeviceSelUintFn pcie = nullptr;
  NvmlEccFn ecc = nullptr;
  NvmlDeviceUllFn throttle = nullptr;
  NvmlProcessesFn compute_processes = nullptr;
  NvmlProcessesFn graphics_processes = nullptr;
  NvmlEventSetCreateFn event_set_create = nullptr;
  NvmlEventSetFreeFn event_set_free = nullptr;
  NvmlRegisterEventsFn register_events = nullptr;
  NvmlEventSetWaitFn event_set_wait = nullptr;
};

namespace {

template <typename Fn>
void Resolve(void* handle, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
}

// The first of several versioned names the library exports.
template <typename Fn>
void ResolveAny(void* handle, std::initializer_list<const char*> names, Fn* out) {
  for (const char* n : names) {
    Resolve(handle, n, out);
    if (*out != nullptr) return;
  }
}

struct DlHandle {
  void* ptr = nullptr;
  ~DlHandle() {
    if (ptr != nullptr) dlclose(ptr);
  }
  void* release() {
    void* p = ptr;
    ptr = nullptr;
    return p;
  }
};

}  // namespace

std::unique_ptr<NvmlLibrary> NvmlLibrary::Open(const std::string& path, std::string* error) {
  DlHandle handle;
  // RTLD_LOCAL: NVML's symbols stay out of the global namespace of the process.
  handle.ptr = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle.ptr == nullptr) {
    const char* msg = dlerror();
    *error = std::string("dlopen: ") + (msg != nullptr ? msg : path);
    return nullptr;
  }
  auto api = std::make_unique<Api>();
  void* h = handle.ptr;
  ResolveAny(h, {"nvmlInit_v2", "nvmlInit"}, &api->init);
  Resolve(h, "nvmlShutdown", &api->shutdown);
  Resolve(h, "nvmlErrorString", &api->error_string);
  Resolve(h, "nvmlSystemGetDriverVersion", &api->driver_version);
  ResolveAny(h, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}, &api->count);
  ResolveAny(h, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"}, &api->handle_by_index);
  Resolve(h, "nvmlDeviceGetName", &api->name);
  Resolve(h, "nvmlDeviceGetUUID", &api->uuid);
  Resolve(h, "nvmlDeviceGetMinorNumber", &api->minor);
  Resolve(h, "nvmlDeviceGetPciInfo_v3", &api->pci_info);
  Resolve(h, "nvmlDeviceGetUtilizationRates", &api->utilization);
  Resolve(h, "nvmlDeviceGetMemoryInfo", &api->memory);
  Resolve(h, "nvmlDeviceGetPowerUsage", &api->power_usage);
  Resolve(h, "nvmlDeviceGetEnforcedPowerLimit", &api->power_limit);
  Resolve(h, "nvmlDeviceGetTotalEnergyConsumption", &api->energy);
  Resolve(h, "nvmlDeviceGetTemperature", &api->temperature);
  Resolve(h, "nvmlDeviceGetClockInfo", &api->clock);
  Resolve(h, "nvmlDeviceGetPcieThroughput", &api->pcie);
  Resolve(h, "nvmlDeviceGetTotalEccErrors", &api->ecc);
  ResolveAny(h, {"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"}, &api->throttle);
  ResolveAny(h, {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"},
             &api->compute_processes);
  ResolveAny(h, {"nvmlDeviceGetGraphicsRunningProcesses_v3", "nvmlDeviceGetGraphicsRunningProcesses_v2"},
             &api->graphics_processes);
  Resolve(h, "nvmlEventSetCreate", &api->event_set_create);
  Resolve(h, "nvmlEventSetFree", &api->event_set_free);
  Resolve(h, "nvmlDeviceRegisterEvents", &api->register_events);
  Resolve(h, "nvmlEventSetWait_v2", &api->event_set_wait);

  if (api->init == nullptr || api->shutdown == nullptr || api->count == nullptr || api->handle_by_index == nullptr) {
    *error = "dlsym: " + path + " lacks nvmlInit_v2, nvmlShutdown, nvmlDeviceGetCount_v2 or nvmlDeviceGetHandleByIndex_v2";
    return nullptr;
  }
  NvmlReturn r = api->init();
  if (r != kNvmlSuccess) {
    const char* msg = api->error_string != nullptr ? api->error_string(r) : nullptr;
    *error = "nvmlInit_v2: " + std::string(msg != nullptr ? msg : "error") + " (" + std::to_string(r) + ")";
    return nullptr;
  }
  return std::unique_ptr<NvmlLibrary>(new NvmlLibrary(handle.release(), std::move(api)));
}

NvmlLibrary::NvmlLibrary(void* handle, std::unique_ptr<Api> api) : handle_(handle), api_(std::move(api)) {}

NvmlLibrary::~NvmlLibrary() {
  if (event_set_ != nullptr && api_->event_set_free != nullptr) api_->event_set_free(event_set_);
  api_->shutdown();
  dlclose(handle_);
}

const char* NvmlLibrary::ErrorString(NvmlReturn r) const {
  const char* msg = api_->error_string != nullptr ? api_->error_string(r) : nullptr;
  return msg != nullptr ? msg : "unknown NVML error";
}

void NvmlLibrary::Collect(GpuSnapshot* out) {
  if (api_->driver_version != nullptr) {
    char buf[kNvmlDriverVersionBufferSize] = {};
    if (api_->driver_version(buf, sizeof(buf)) == kNvmlSuccess) out->driver_version.assign(buf, strnlen(buf, sizeof(buf)));
  }
  unsigned int count = 0;
  out->status = api_->count(&count);
  if (out->status != kNvmlSuccess) return;
  count = std::min(count, kMaxDevices);
  handles_.assign(count, nullptr);
  out->devices.resize(count);
  for (unsigned int i = 0; i < count; i++) CollectDevice(i, &out->devices[i]);
  if (!xid_registered_) {
    xid_registered_ = true;
    for (NvmlDevice d : handles_) RegisterXid(d);
  }
  out->xid_status = xid_status_;
  DrainXid(out);
}

void NvmlLibrary::CollectDevice(unsigned int index, GpuDevice* dev) {
  dev->index = index;
  NvmlDevice d = nullptr;
  dev->handle_status = api_->handle_by_index(index, &d);
  for (NvmlReturn& s : dev->status) s = kNvmlErrorFunctionNotFound;
  if (dev->handle_status != kNvmlSuccess) return;
  handles_[index] = d;

  char buf[kNvmlDeviceUuidBufferSize] = {};
  if (api_->name != nullptr && api_->name(d, buf, sizeof(buf)) == kNvmlSuccess) dev->name.assign(buf, strnlen(buf, sizeof(buf)));
  memset(buf, 0, sizeof(buf));
  if (api_->uuid != nullptr && api_->uuid(d, buf, sizeof(buf)) == kNvmlSuccess) dev->uuid.assign(buf, strnlen(buf, sizeof(buf)));
  unsigned int minor = 0;
  if (api_->minor != nullptr && api_->minor(d, &minor) == kNvmlSuccess) dev->minor = static_cast<int>(minor);
  NvmlPciInfo pci = {};
  if (api_->pci_info != nullptr && api_->pci_info(d, &pci) == kNvmlSuccess) {
    dev->pci_bus_id.assign(pci.bus_id, strnlen(pci.bus_id, sizeof(pci.bus_id)));
  }

  auto set = [dev](Field f, NvmlReturn r, double v) {
    dev->status[f] = r;
    if (r == kNvmlSuccess) dev->values[f] = v;
  };
  if (api_->utilization != nullptr) {
    NvmlUtilization u = {};
    NvmlReturn r = api_->utilization(d, &u);
    set(kGpuUtil, r, u.gpu);
    set(kMemCopyUtil, r, u.memory);
  }
  if (api_->memory != nullptr) {
    NvmlMemory m = {};
    NvmlReturn r = api_->memory(d, &m);
    set(kFbUsed, r, static_cast<double>(m.used));
    set(kFbFree, r, static_cast<double>(m.free));
    set(kFbTotal, r, static_cast<double>(m.total));
  }
  // Each reading is taken before it is stored (argument evaluation order is unspecified).
  auto u32 = [&](Field f, auto&& call) {
    unsigned int v = 0;
    NvmlReturn r = call(&v);
    set(f, r, v);
  };
  auto u64 = [&](Field f, auto&& call) {
    unsigned long long v = 0;
    NvmlReturn r = call(&v);
    set(f, r, static_cast<double>(v));
  };
  if (api_->power_usage != nullptr) u32(kPowerUsage, [&](unsigned int* v) { return api_->power_usage(d, v); });
  if (api_->power_limit != nullptr) u32(kPowerLimit, [&](unsigned int* v) { return api_->power_limit(d, v); });
  if (api_->energy != nullptr) u64(kEnergy, [&](unsigned long long* v) { return api_->energy(d, v); });
  if (api_->temperature != nullptr) {
    u32(kGpuTemp, [&](unsigned int* v) { return api_->temperature(d, kNvmlTemperatureGpu, v); });
  }
  if (api_->clock != nullptr) {
    u32(kSmClock, [&](unsigned int* v) { return api_->clock(d, kNvmlClockSm, v); });
    u32(kMemClock, [&](unsigned int* v) { return api_->clock(d, kNvmlClockMem, v); });
  }
  if (api_->pcie != nullptr) {
    u32(kPcieTx, [&](unsigned int* v) { return api_->pcie(d, kNvmlPcieUtilTxBytes, v); });
    u32(kPcieRx, [&](unsigned int* v) { return api_->pcie(d, kNvmlPcieUtilRxBytes, v); });
  }
  if (api_->ecc != nullptr) {
    const struct {
      Field field;
      unsigned int type;
      unsigned int counter;
    } ecc[] = {{kEccSbeVolatile, kNvmlMemoryErrorCorrected, kNvmlVolatileEcc},
               {kEccDbeVolatile, kNvmlMemoryErrorUncorrected, kNvmlVolatileEcc},
               {kEccSbeAggregate, kNvmlMemoryErrorCorrected, kNvmlAggregateEcc},
               {kEccDbeAggregate, kNvmlMemoryErrorUncorrected, kNvmlAggregateEcc}};
    for (const auto& e : ecc) u64(e.field, [&](unsigned long long* v) { return api_->ecc(d, e.type, e.counter, v); });
  }
  if (api_->throttle != nullptr) u64(kThrottleReasons, [&](unsigned long long* v) { return api_->throttle(d, v); });

  // Process lists: asked with a fixed, bounded buffer; a longer list is cut to it.
  dev->processes_status = kNvmlErrorFunctionNotFound;
  std::vector<NvmlProcessInfo> infos(kMaxProcessesPerDevice);
  for (int graphics = 0; graphics < 2; graphics++) {
    NvmlProcessesFn fn = graphics ? api_->graphics_processes : api_->compute_processes;
    if (fn == nullptr) continue;
    unsigned int n = kMaxProcessesPerDevice;
    NvmlReturn r = fn(d, &n, infos.data());
    if (r == kNvmlErrorInsufficientSize) {
      n = kMaxProcessesPerDevice;
      r = kNvmlSuccess;
    }
    if (r != kNvmlSuccess) {
      if (!graphics) dev->processes_status = r;
      continue;
    }
    dev->processes_status = kNvmlSuccess;
    n = std::min(n, kMaxProcessesPerDevice);
    for (unsigned int i = 0; i < n && dev->processes.size() < kMaxProcessesPerDevice; i++) {
      GpuProcess p;
      p.pid = infos[i].pid;
      // NVML_VALUE_NOT_AVAILABLE (all ones) when the driver cannot say (e.g. without permission under WDDM).
      p.used_bytes = infos[i].used_gpu_memory == ~0ULL ? 0 : infos[i].used_gpu_memory;
      p.graphics = graphics != 0;
      dev->processes.push_back(p);
    }
  }
}

void NvmlLibrary::RegisterXid(NvmlDevice device) {
  if (device == nullptr) return;
  if (api_->event_set_create == nullptr || api_->register_events == nullptr || api_->event_set_wait == nullptr) {
    xid_status_ = kNvmlErrorFunctionNotFound;
    return;
  }
  if (event_set_ == nullptr) {
    NvmlReturn r = api_->event_set_create(&event_set_);
    if (r != kNvmlSuccess) {
      event_set_ = nullptr;
      xid_status_ = r;
      return;
    }
  }
  NvmlReturn r = api_->register_events(device, kNvmlEventTypeXidCriticalError, event_set_);
  // One device that supports XID events is enough for the set to be useful.
  if (r == kNvmlSuccess || xid_status_ != kNvmlSuccess) xid_status_ = r;
}

void NvmlLibrary::DrainXid(GpuSnapshot* out) {
  if (event_set_ == nullptr || xid_status_ != kNvmlSuccess) return;
  // Timeout 0: takes what is queued, never waits. Bounded per snapshot.
  for (size_t i = 0; i < kMaxXidsPerSnapshot; i++) {
    NvmlEventData ev = {};
    if (api_->event_set_wait(event_set_, &ev, 0) != kNvmlSuccess) break;
    if ((ev.event_type & kNvmlEventTypeXidCriticalError) == 0) continue;
    auto it = std::find(handles_.begin(), handles_.end(), ev.device);
    if (it == handles_.end()) continue;
    out->xids.push_back(XidEvent{static_cast<unsigned int>(it - handles_.begin()), ev.event_data});
  }
}

}  // namespace gpu
}  // namespace outrider
