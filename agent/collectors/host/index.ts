/**
 * The host collectors, registered by name (node_exporter's collector names). Each is one file: pure parsers plus a
 * thin reader under the configured roots.
 */
import type { Collector } from '../collector';
import { loadavgCollector } from './loadavg';

const all: Collector[] = [loadavgCollector];

export function hostCollectors(): Collector[] {
  return all;
}

export function hostCollectorNames(): string[] {
  return all.map((c) => c.name);
}

export function defaultCollectorNames(): string[] {
  return all.filter((c) => c.defaultEnabled).map((c) => c.name);
}
