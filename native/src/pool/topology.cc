// Implementation of topology.h.
#include "pool/topology.h"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace outrider {
namespace pool {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool ParseInt(const std::string& s, int* out) {
  if (s.empty() || s.size() > 7) return false;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseCpuList(const std::string& text, std::vector<int>* cpus) {
  cpus->clear();
  std::string t;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) t.push_back(c);
  }
  if (t.empty()) return true;
  std::set<int> out;
  std::stringstream ss(t);
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t dash = part.find('-');
    int lo = 0;
    int hi = 0;
    if (dash == std::string::npos) {
      if (!ParseInt(part, &lo)) return false;
      hi = lo;
    } else if (!ParseInt(part.substr(0, dash), &lo) || !ParseInt(part.substr(dash + 1), &hi) || hi < lo ||
               hi - lo > 65536) {
      cpus->clear();
      return false;
    }
    for (int c = lo; c <= hi; ++c) out.insert(c);
  }
  cpus->assign(out.begin(), out.end());
  return true;
}

Topology ReadTopology(const std::string& sysfs_root) {
  Topology topo;
  std::string online_text;
  std::vector<int> online;
  bool have_online = ReadFile(sysfs_root + "/devices/system/cpu/online", &online_text) &&
                     ParseCpuList(online_text, &online) && !online.empty();
  std::set<int> online_set(online.begin(), online.end());

  std::string node_dir = sysfs_root + "/devices/system/node";
  if (DIR* dir = opendir(node_dir.c_str())) {
    while (struct dirent* ent = readdir(dir)) {
      std::string name = ent->d_name;
      int id = 0;
      if (name.rfind("node", 0) != 0 || !ParseInt(name.substr(4), &id)) continue;
      std::string text;
      CpuNode node;
      node.id = id;
      if (!ReadFile(node_dir + "/" + name + "/cpulist", &text) || !ParseCpuList(text, &node.cpus)) continue;
      if (have_online) {
        node.cpus.erase(std::remove_if(node.cpus.begin(), node.cpus.end(),
                                       [&](int c) { return online_set.count(c) == 0; }),
                        node.cpus.end());
      }
      if (!node.cpus.empty()) topo.nodes.push_back(std::move(node));
    }
    closedir(dir);
  }
  if (!topo.nodes.empty()) {
    std::sort(topo.nodes.begin(), topo.nodes.end(), [](const CpuNode& a, const CpuNode& b) { return a.id < b.id; });
    topo.source = "sysfs";
    return topo;
  }
  CpuNode only;
  if (have_online) {
    only.cpus = online;
    topo.source = "sysfs-online";
  } else {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned c = 0; c < n; ++c) only.cpus.push_back(static_cast<int>(c));
    topo.source = "fallback";
  }
  topo.nodes.push_back(std::move(only));
  return topo;
}

}  // namespace pool
}  // namespace outrider
