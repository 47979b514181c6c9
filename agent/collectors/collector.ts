/**
 * The collector contract. A collector is a small module: pure parsers `(text) → values`, and a `collect` that reads
 * files through the context's paths and returns a full snapshot of its families. Nothing renders or reports from a
 * collector directly: the runner writes the snapshot into the store.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { FamilySamples } from '../store/types';

export interface Paths {
  procfs: string;
  sysfs: string;
  rootfs: string;
}

export interface CollectContext {
  paths: Paths;
  config: Config;
  log: Logger;
  /** Aborted when the run's time budget is spent; long operations should check it. */
  signal: AbortSignal;
  /** Wall clock at the start of the run (ms). */
  nowMs: number;
}

export interface Collector {
  readonly name: string;
  /** Whether the collector runs when `collectors.enabled` is left at its default. */
  readonly defaultEnabled: boolean;
  /** The agent's own telemetry: not reported in node_scrape_collector_* (those describe host collectors). */
  readonly internal?: boolean;
  /** Own interval (ms); the runner falls back to `collectors.interval`. */
  readonly intervalMs?: number;
  /** Returns the collector's full snapshot. Throws NoDataError when its source files do not exist here. */
  collect(ctx: CollectContext): Promise<FamilySamples[]>;
  /** Releases resources (helper threads, caches). */
  close?(): Promise<void> | void;
}

/** "This host has no such source" (e.g. no /proc/pressure): logged once at debug, never a scrape failure. */
export class NoDataError extends Error {
  readonly code = 'OUTRIDER_ERR_COLLECTOR_NO_DATA';
  constructor(message: string) {
    super(message);
    this.name = 'NoDataError';
  }
}

/** Resolves the configured roots: procfs/sysfs left at their defaults follow path.rootfs. */
export function resolvePaths(config: Config): Paths {
  const rootfs = config.string('path.rootfs');
  const under = (key: string, def: string): string => {
    const v = config.string(key);
    return v === def && config.source(key) === 'default' && rootfs !== '/' ? join(rootfs, def) : v;
  };
  return { rootfs, procfs: under('path.procfs', '/proc'), sysfs: under('path.sysfs', '/sys') };
}

/** Builds a family snapshot (a convenience for collectors). */
export function family(name: string, help: string, type: FamilySamples['type'], samples: FamilySamples['samples'] = []): FamilySamples {
  return { name, help, type, samples };
}
