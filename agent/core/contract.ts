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
import { Counter, CounterCell, Registry } from './prom-client';

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

/** A prom-client counter's, gauge's or histogram's own table of series (its typings leave it out). */
interface TableMetric {
  readonly type: string;
  hashMap?: Record<string, { labels: Record<string, string | number>; value?: number; count?: number }>;
}

function matches(labels: Record<string, string | number>, want: Record<string, string> | undefined): boolean {
  if (want) for (const k in want) if (String(labels[k]) !== want[k]) return false;
  return true;
}

/**
 * Sum of the matching values of `source.metric`, read from the metric's own table (no `get()`, which builds a copy
 * of every series and, for a histogram, of every bucket): a counter's or gauge's values, a histogram's counts. 0 when
 * the metric is not registered (yet); undefined for a metric of another shape (`sum` reads it).
 */
function tableSum(registry: Registry, source: CountSource): number | undefined {
  const m = registry.getSingleMetric(source.metric) as unknown as TableMetric | undefined;
  if (!m) return 0;
  const table = m.hashMap;
  const hist = m.type === 'histogram';
  if (typeof table !== 'object' || table === null || !(hist || m.type === 'counter' || m.type === 'gauge')) return undefined;
  let n = 0;
  for (const hash in table) {
    const e = table[hash]!;
    if (matches(e.labels, source.labels)) n += (hist ? e.count : e.value) ?? 0;
  }
  return n;
}

/** Sum of the matching values of `metric` in `registry`; 0 when the metric is not registered (yet). */
async function sum(registry: Registry, source: CountSource): Promise<number> {
  const fast = tableSum(registry, source);
  if (fast !== undefined) return fast;
  const m = registry.getSingleMetric(source.metric)!;
  const got = await m.get();
  let n = 0;
  for (const v of got.values) {
    if (!matches(v.labels as Record<string, string | number>, source.labels)) continue;
    // Histograms and summaries: only their _count feeds a count (a summary's quantiles carry no metricName).
    const name = (v as { metricName?: string }).metricName;
    if (name === undefined ? String(got.type) === 'summary' : name !== source.metric && !name.endsWith('_count')) continue;
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
    // Each component's entry in the counter's own table, set in place at each collection: no `reset()` (a new table)
    // and `inc` (a label hash and a new entry) per component each time.
    const entries = new Map<string, { cell: CounterCell; seen: number }>();
    let pass = 0;
    new Counter({
      name: contractMetricName(count),
      help: helps[count],
      labelNames: ['component'],
      registers: [registry],
      // Synchronous while every source is read from its table (each collection round runs it).
      collect() {
        const seen = ++pass;
        let slow: Array<Promise<void>> | undefined;
        for (const [component, sources] of components()) {
          let n = 0;
          let rest: CountSource[] | undefined;
          for (const s of sources[count]) {
            const v = tableSum(registry, s);
            if (v === undefined) (rest ??= []).push(s);
            else n += v;
          }
          if (rest === undefined) setCount(this, entries, component, n, seen);
          else (slow ??= []).push(sumRest(registry, rest, n).then((total) => setCount(this, entries, component, total, seen)));
        }
        const done = (): void => {
          // Components not running now leave the table.
          for (const [component, e] of entries) {
            if (e.seen === seen) continue;
            e.cell.remove();
            entries.delete(component);
          }
        };
        if (slow) return Promise.all(slow).then(done);
        done();
        return undefined;
      },
    });
  }
}

/** The component's count set in place in the counter's table. */
function setCount(counter: Counter, entries: Map<string, { cell: CounterCell; seen: number }>, component: string, n: number, seen: number): void {
  let e = entries.get(component);
  if (e === undefined) entries.set(component, (e = { cell: new CounterCell(counter, { component }), seen }));
  e.cell.set(n);
  e.seen = seen;
}

async function sumRest(registry: Registry, sources: readonly CountSource[], n: number): Promise<number> {
  for (const s of sources) n += await sum(registry, s);
  return n;
}
