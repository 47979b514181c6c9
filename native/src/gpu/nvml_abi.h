// The subset of NVML's C ABI (nvml.h, NVIDIA Management Library) the GPU
// collector uses, declared here so the addon builds without NVIDIA's headers
// or driver. Only types, constants and function-pointer types: every function
// is resolved with dlsym from libnvidia-ml.so.1 at run time.
//
// The layouts match nvml.h of CUDA 11/12 (they are part of NVML's stable ABI;
// versioned entry points such as nvmlDeviceGetPciInfo_v3 pin the layout).
#pragma once

#include <cstdint>

namespace outrider {
namespace gpu {

using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
using NvmlEventSet = struct NvmlEventSetOpaque*;

constexpr NvmlReturn kNvmlSuccess = 0;
constexpr NvmlReturn kNvmlErrorInvalidArgument = 2;
constexpr NvmlReturn kNvmlErrorNotSupported = 3;
constexpr NvmlReturn kNvmlErrorNotFound = 6;
constexpr NvmlReturn kNvmlErrorInsufficientSize = 7;
constexpr NvmlReturn kNvmlErrorTimeout = 10;
constexpr NvmlReturn kNvmlErrorFunctionNotFound = 13;
constexpr NvmlReturn kNvmlErrorUnknown = 999;

constexpr unsigned kNvmlTemperatureGpu = 0;
constexpr unsigned kNvmlClockSm = 1;
constexpr unsigned kNvmlClockMem = 2;
constexpr unsigned kNvmlPcieUtilTxBytes = 0;
constexpr unsigned kNvmlPcieUtilRxBytes = 1;
constexpr unsigned kNvmlMemoryErrorCorrected = 0;
constexpr unsigned kNvmlMemoryErrorUncorrected = 1;
constexpr unsigned kNvmlVolatileEcc = 0;
constexpr unsigned kNvmlAggregateEcc = 1;
constexpr unsigned long long kNvmlEventTypeXidCriticalError = 0x8ULL;
constexpr unsigned kNvmlDeviceNameBufferSize = 96;
constexpr unsigned kNvmlDeviceUuidBufferSize = 96;
constexpr unsigned kNvmlDriverVersionBufferSize = 80;

struct NvmlUtilization {
  unsigned int gpu;     // percent of time a kernel ran, over the last sample period
  unsigned int memory;  // percent of time device memory was read or written
};

struct NvmlMemory {
  unsigned long long total;  // bytes
  unsigned long long free;
  unsigned long long used;
};

struct NvmlPciInfo {
  char bus_id_legacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;
  unsigned int pci_subsystem_id;
  char bus_id[32];
};

// nvmlProcessInfo_t as taken by the _v2/_v3 process queries.
struct NvmlProcessInfo {
  unsigned int pid;
  unsigned long long used_gpu_memory;  // bytes; NVML_VALUE_NOT_AVAILABLE (all ones) when unknown
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

struct NvmlEventData {
  NvmlDevice device;
  unsigned long long event_type;
  unsigned long long event_data;  // the XID for XID events
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

using NvmlVoidFn = NvmlReturn (*)();
using NvmlErrorStringFn = const char* (*)(NvmlReturn);
using NvmlSystemStringFn = NvmlReturn (*)(char*, unsigned int);
using NvmlCountFn = NvmlReturn (*)(unsigned int*);
using NvmlHandleByIndexFn = NvmlReturn (*)(unsigned int, NvmlDevice*);
using NvmlDeviceStringFn = NvmlReturn (*)(NvmlDevice, char*, unsigned int);
using NvmlDeviceUintFn = NvmlReturn (*)(NvmlDevice, unsigned int*);
using NvmlDeviceUllFn = NvmlReturn (*)(NvmlDevice, unsigned long long*);
using NvmlDeviceSelUintFn = NvmlReturn (*)(NvmlDevice, unsigned int, unsigned int*);
using NvmlUtilizationFn = NvmlReturn (*)(NvmlDevice, NvmlUtilization*);
using NvmlMemoryFn = NvmlReturn (*)(NvmlDevice, NvmlMemory*);
using NvmlPciInfoFn = NvmlReturn (*)(NvmlDevice, NvmlPciInfo*);
using NvmlEccFn = NvmlReturn (*)(NvmlDevice, unsigned int, unsigned int, unsigned long long*);
using NvmlProcessesFn = NvmlReturn (*)(NvmlDevice, unsigned int*, NvmlProcessInfo*);
using NvmlEventSetCreateFn = NvmlReturn (*)(NvmlEventSet*);
using NvmlEventSetFreeFn = NvmlReturn (*)(NvmlEventSet);
using NvmlRegisterEventsFn = NvmlReturn (*)(NvmlDevice, unsigned long long, NvmlEventSet);
using NvmlEventSetWaitFn = NvmlReturn (*)(NvmlEventSet, NvmlEventData*, unsigned int);

}  // namespace gpu
}  // namespace outrider
