/** The recommender's settings, parsed once. */
import type { Config } from '../../config/config';

export interface RecommendOptions {
  enabled: boolean;
  intervalMs: number;
  maxContainers: number;
  /** Empty: no state file. */
  stateFile: string;
}

export function recommendOptionsFrom(config: Config): RecommendOptions {
  return {
    enabled: config.bool('recommend.enabled'),
    intervalMs: config.number('recommend.interval'),
    maxContainers: config.number('recommend.max_containers'),
    stateFile: config.string('recommend.state_file'),
  };
}
