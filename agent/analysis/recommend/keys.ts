import { defineKeys } from '../../config/schema';

// Right-sizing recommendations from the cgroup collector's series (docs/recommendations.md).
export const recommendKeys = defineKeys([
  { key: 'recommend.enabled', type: 'bool', default: true, help: "Compute the Vertical Pod Autoscaler recommender's CPU and memory recommendation per cgroup from the cgroup collector's series." },
  { key: 'recommend.interval', type: 'duration', default: 60_000, min: 1000, help: 'How often usage is sampled from the store (VPA samples every minute).' },
  { key: 'recommend.max_containers', type: 'int', default: 256, min: 1, help: 'Most cgroups followed; new ones past it are skipped and counted.' },
  { key: 'recommend.state_file', type: 'string', default: '', help: 'File the histograms are saved to (atomically, each interval) and loaded from at start; empty keeps them in memory only.' },
]);
