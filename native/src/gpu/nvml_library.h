// NVML loaded at run time: dlopen of libnvidia-ml.so.1 (or a path given by the
// configuration, e.g. the tests' fake library), dlsym of every entry point the
// collector uses, nvmlInit_v2, and one snapshot of every device per Collect().
//
// Not thread-safe: one NvmlLibrary is used by one thread (nvml_worker.h runs
// it on its own thread so that a wedged driver never blocks the caller).
// Missing optional symbols (an older driver) leave their fields unsupported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpu/nvml_abi.h"

namespace outrider {
namespace gpu {

// Per-device values, in NVML's own units (converted by the TS layer).
enum Field : int {
  kGpuUtil = 0,       // percent
  kMemCopyUtil,       // percent
  kFbUsed,            // bytes
  kFbFree,            // bytes
  kFbTotal,           // bytes
  kPowerUsage,        // milliwatts
  kPowerLimit,        // milliwatts (enforced limit)
  kEnergy,            // millijoules since the driver loaded
  kGpuTemp,           // degrees C
  kSmClock,           // MHz
  kMemClock,          // MHz
  kPcieTx,            // KB/s
  kPcieRx,            // KB/s
  kEccSbeVolatile,    // corrected errors since the driver loaded
  kEccDbeVolatile,    // uncorrected errors since the driver loaded
  kEccSbeAggregate,   // corrected errors over the device's life
  kEccDbeAggregate,   // uncorrected errors over the device's life
  kThrottleReasons,   // bitmask (nvmlClocksThrottleReasons)
  kFieldCount
};

// Field names as the binding exports them (index = Field).
extern const char* const kFieldNames[kFieldCount];

struct GpuProcess {
  unsigned int pid = 0;
  unsigned long long used_bytes = 0;
  bool graphics = false;  // from the graphics (not compute) process list
};

struct GpuDevice {
  unsigned int index = 0;
  int minor = -1;  // /dev/nvidia<minor>; -1 when unknown
  std::string name;
  std::string uuid;
  std::string pci_bus_id;
  double values[kFieldCount] = {};
  NvmlReturn status[kFieldCount] = {};  // kNvmlSuccess where values[] holds a reading
  std::vector<GpuProcess> processes;
  NvmlReturn processes_status = kNvmlSuccess;
  NvmlReturn handle_status = kNvmlSuccess;  // a device NVML cannot open is reported with this code alone
};

struct XidEvent {
  unsigned int index;  // device index
  unsigned long long xid;
};

struct GpuSnapshot {
  NvmlReturn status = kNvmlSuccess;  // of nvmlDeviceGetCount
  std::string error;                 // set when the library could not be used at all
  std::string driver_version;
  std::vector<GpuDevice> devices;
  std::vector<XidEvent> xids;        // XID events since the last snapshot (bounded)
  NvmlReturn xid_status = kNvmlErrorNotSupported;  // registration result of XID events
};

// Most XID events taken per snapshot; later ones stay queued for the next.
constexpr size_t kMaxXidsPerSnapshot = 64;
// Most processes reported per device.
constexpr unsigned kMaxProcessesPerDevice = 256;
// Most devices reported.
constexpr unsigned kMaxDevices = 64;

class NvmlLibrary {
 public:
  // Loads `path` and initialises NVML. On failure returns null and sets *error
  // ("dlopen: ...", "dlsym: ...", "nvmlInit_v2: ...").
  static std::unique_ptr<NvmlLibrary> Open(const std::string& path, std::string* error);
  ~NvmlLibrary();  // nvmlShutdown, then dlclose
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  void Collect(GpuSnapshot* out);
  const char* ErrorString(NvmlReturn r) const;

 private:
  struct Api;
  NvmlLibrary(void* handle, std::unique_ptr<Api> api);
  void CollectDevice(unsigned int index, GpuDevice* dev);
  void RegisterXid(NvmlDevice device);
  void DrainXid(GpuSnapshot* out);

  void* handle_;
  std::unique_ptr<Api> api_;
  NvmlEventSet event_set_ = nullptr;
  NvmlReturn xid_status_ = kNvmlErrorNotSupported;
  bool xid_registered_ = false;
  std::vector<NvmlDevice> handles_;  // by index, for XID events
};

}  // namespace gpu
}  // namespace outrider
