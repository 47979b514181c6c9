/**
 * The component contract's counts. Every component the composition root registers exposes four counters under one
 * naming rule, `outrider_component_<count>_total{component="<name>"}`:
 *
 *   received  items that reached the component (datagrams, samples, collector runs: its own unit)
 *   sent      items it passed on (into the store, or out to an aggregator or a remote write receiver)
 *   dropped   items it lost on purpose (a limit, a full queue), each also counted by reason in its own metrics
 *   errors    failures (refused input, failed runs, failed sends) that are not a drop
 *
 * A component keeps its own detailed metrics; its registry entry names which of them each count sums
 * (docs/components.md lists them), and the counts are read from those at collection time.
 */
import { Counter, Registry } from './prom-client';

export const contractCounts = ['received', 'sent', 'dropped', 'errors'] as const;
export type ContractCount = (typeof contractCounts)[number];

/** One metric of the component's own (with an optional label filter) that feeds a count. */
export interface CountSource {
  metric: string;
  labels?: Record<string, string>;
}

export type ContractSources = Record<ContractCount, readonly CountSource[]>;

/** The one naming rule. */
export function contractMetricName(count: ContractCount): string {
  return `outrider_component_${count}_total`;
}

const helps: Record<ContractCount, string> = {
  received: 'Items that reached the component, by component (the component contract; docs/components.md).',
  sent: 'Items the component passed on, by component (the component contract; docs/components.md).',
  dropped: 'Items the component lost on purpose (limits, full queues), by component (the component contract).',
  errors: 'Failures that are not drops (refused input, failed runs or sends), by component (the component contract).',
};

/** Sum of the matching values of `metric` in `registry`; 0 when the metric is not registered (yet). */
async function sum(registry: Registry, source: CountSource): Promise<number> {
  const m = registry.getSingleMetric(source.metric);
  if (!m) return 0;
  const got = await m.get();
  let n = 0;
  for (const v of got.values) {
    const labels = v.labels as Record<string, string | number>;
    if (source.labels && Object.entries(source.labels).some(([k, want]) => String(labels[k]) !== want)) continue;
    // Histograms and summaries: only their _count feeds a count.
    const name = (v as { metricName?: string }).metricName;
    if (name !== undefined && name !== source.metric && !name.endsWith('_count')) continue;
    n += v.value;
  }
  return n;
}

/** Reads a component's four counts now. */
export async function readContract(registry: Registry, sources: ContractSources): Promise<Record<ContractCount, number>> {
  const out = { received: 0, sent: 0, dropped: 0, errors: 0 };
  for (const count of contractCounts) for (const s of sources[count]) out[count] += await sum(registry, s);
  return out;
}

/**
 * Registers the four contract counters in `registry`, fed from `components()` (component name → its sources) each
 * time the registry is collected. Components not running at that moment are left out.
 */
export function registerContract(registry: Registry, components: () => ReadonlyMap<string, ContractSources>): void {
  for (const count of contractCounts) {
    if (registry.getSingleMetric(contractMetricName(count))) continue;
    new Counter({
      name: contractMetricName(count),
      help: helps[count],
      labelNames: ['component'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [component, sources] of components()) {
          let n = 0;
          for (const s of sources[count]) n += await sum(registry, s);
          this.inc({ component }, n);
        }
      },
    });
  }
}
