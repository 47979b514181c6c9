/**
 * The sidecar profile: what an agent inside an application's pod collects by default. A pod is not a host: host-wide
 * collectors (cpu, meminfo, diskstats, filesystem, netdev...) would report the node's values from every pod, mixed
 * with the pod's own, and each pod would show up on dashboards as a "node". Those belong to the per-node DaemonSet.
 * In a pod the agent keeps:
 *   - the cgroup collector: its own container's cgroup v2 (cAdvisor's container_* names), which is what a
 *     container without host mounts can read;
 *   - StatsD/DogStatsD (on the pod's loopback);
 *   - its self-telemetry (outrider_*, process_*, nodejs_*; node_scrape_collector_* about its own collector runs).
 *
 * It is expressed with existing config keys as flags before any user flag. `collectors.enabled` is a list, and
 * repeated list flags add up: `outrider.io/config: "collectors: {enabled: [cpu]}"` adds cpu to the profile, and
 * `collectors: {disabled: [cgroup]}` takes cgroup out.
 */

/** Host collectors that describe the agent's own container rather than the host. */
export const sidecarCollectors = ['cgroup'] as const;

export function profileFlags(): string[] {
  return sidecarCollectors.map((c) => `--collectors.enabled=${c}`);
}
