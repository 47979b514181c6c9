/** The query API's settings, parsed once. */
import type { Config } from '../config/config';

export interface QueryOptions {
  timeoutMs: number;
  maxSamples: number;
}

export function optionsFrom(config: Config): QueryOptions {
  return { timeoutMs: config.number('query.timeout'), maxSamples: config.number('query.max_samples') };
}
