/**
 * Every collector kind the agent can run, and so every name `collectors.enabled` accepts. A kind is a source of
 * collectors (host today; scrape, textfile and OTLP-fed ones add an entry here); each collector it builds registers
 * with the runner by its name, an interval and a time budget (see runner.ts).
 */
import type { Collector } from './collector';
import { gpuCollector, GpuOptions } from './gpu/index';
import { hostCollectors, HostCollectorOptions } from './host/index';

export interface CollectorKindOptions {
  host?: HostCollectorOptions;
  gpu?: GpuOptions;
}

export interface CollectorKind {
  /** The kind's name (docs, errors). */
  readonly kind: string;
  /** Builds fresh instances of every collector of this kind (some keep state between runs). */
  create(opts: CollectorKindOptions): Collector[];
}

export const collectorKinds: readonly CollectorKind[] = [
  { kind: 'host', create: (o) => hostCollectors(o.host) },
  { kind: 'gpu', create: (o) => [gpuCollector(o.gpu)] },
];

/** One row per registered collector name. */
export interface RegisteredCollector {
  name: string;
  kind: string;
  defaultEnabled: boolean;
}

const registered: RegisteredCollector[] = collectorKinds.flatMap((k) => k.create({}).map((c) => ({ name: c.name, kind: k.kind, defaultEnabled: c.defaultEnabled })));

export function registeredCollectors(): readonly RegisteredCollector[] {
  return registered;
}

/** Every registered collector name: what `collectors.enabled` and `collectors.disabled` accept. */
export function collectorNames(): string[] {
  return registered.map((c) => c.name);
}

/** The names `collectors.enabled` defaults to. */
export function defaultCollectorNames(): string[] {
  return registered.filter((c) => c.defaultEnabled).map((c) => c.name);
}

/** Names selected by `collectors.enabled` minus `collectors.disabled`. */
export function selectedCollectorNames(enabled: readonly string[], disabled: readonly string[]): Set<string> {
  const out = new Set(enabled);
  for (const d of disabled) out.delete(d);
  return out;
}

/** Builds the selected collectors of every kind. */
export function buildCollectors(selected: ReadonlySet<string>, opts: CollectorKindOptions = {}): Collector[] {
  return collectorKinds.flatMap((k) => k.create(opts)).filter((c) => selected.has(c.name));
}
