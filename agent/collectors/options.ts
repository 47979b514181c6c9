/** The collector runner's settings (collectors/keys.ts), parsed once per configuration. */
import type { Config } from '../config/config';

export interface CollectorsOptions {
  /** The collectors to run are these names (kinds.ts) minus `disabled`. */
  enabled: string[];
  disabled: string[];
  /** Interval of a collector without one of its own (ms). */
  intervalMs: number;
  /** Time budget of one run of a collector without one of its own (ms). */
  timeoutMs: number;
}

export function optionsFrom(config: Config): CollectorsOptions {
  return {
    enabled: config.list('collectors.enabled'),
    disabled: config.list('collectors.disabled'),
    intervalMs: config.number('collectors.interval'),
    timeoutMs: config.number('collectors.timeout'),
  };
}
