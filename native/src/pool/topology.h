// CPU / NUMA topology read from sysfs:
//   <root>/devices/system/node/node<N>/cpulist   CPUs of NUMA node N
//   <root>/devices/system/cpu/online             online CPUs
// Lists use the kernel's format ("0-3,8-11"). Offline CPUs are dropped from
// every node; nodes left without CPUs are dropped. When sysfs describes no
// node, all online CPUs (or hardware_concurrency) form one node. The root is
// injectable so tests can describe 2 or 4 nodes.
#pragma once

#include <string>
#include <vector>

namespace outrider {
namespace pool {

struct CpuNode {
  int id = 0;
  std::vector<int> cpus;
};

struct Topology {
  std::vector<CpuNode> nodes;
  // Where the description came from: "sysfs", "sysfs-online" or "fallback".
  std::string source;
};

// Parses "0-3,8-11\n"; returns false on malformed input (cpus left empty).
bool ParseCpuList(const std::string& text, std::vector<int>* cpus);

Topology ReadTopology(const std::string& sysfs_root);

}  // namespace pool
}  // namespace outrider
