/**
 * Turns the samples of one scrape into store families, as Prometheus ingests them: target labels attached (a scraped
 * label that clashes is kept as `exported_<name>` unless `honor_labels`), `metric_relabel_configs` applied, the
 * per-target label and sample limits checked sample by sample (a breach fails the scrape: it throws), and histogram
 * and summary lines gathered into one distribution per series. Timestamps are kept only with `honor_timestamps`.
 *
 * With a series cache (series-cache.ts) a counter, gauge or untyped series is converted once: the parser offers each
 * line's series text to `known` first, and a series the cache holds is written through its entry (`held`) with no
 * label map, relabeling or limit check beyond the sample limit (its labels passed them when it was first seen).
 */
import type { ParsedFamily, ParsedSample } from '../../formats/parse';
import type { FamilyDesc, FamilySamples, MetricType, Sample } from '../../store/types';
import { ScrapeError } from './fetch';
import { relabel } from './relabel';
import type { CachedSeries, SeriesCache } from './series-cache';
import type { TargetSpec } from './targets';

interface DistParts {
  labels: Record<string, string>;
  count?: number;
  sum?: number;
  buckets: Array<[number, number]>;
  quantiles: Array<[number, number]>;
}

interface Gathered {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
  dists: Map<string, DistParts> | undefined;
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

export class ScrapeConverter {
  readonly #t: TargetSpec;
  readonly #families = new Map<string, Gathered>();
  readonly #cache: SeriesCache | undefined;
  /** Samples written through cache entries: the first #nHeld of the cache's reused array (series-cache.ts). */
  readonly #held: CachedSeries[];
  #nHeld = 0;
  /** Held samples whose series was not in the last successful scrape. */
  added = 0;
  /** The family descriptions of this scrape, by name (one object shared by the entries made in it). */
  readonly #descs = new Map<string, FamilyDesc>();
  /** Samples read from the body. */
  scraped = 0;
  /** Samples left after metric relabeling. */
  kept = 0;

  constructor(target: TargetSpec, cache?: SeriesCache) {
    this.#t = target;
    this.#cache = cache;
    this.#held = cache ? cache.held : [];
    cache?.begin();
  }

  /** The parser's `known` callback: takes the value of a series the cache holds. */
  readonly known = (line: string, end: number, value: number, timestampMs: number | undefined, f: ParsedFamily): boolean => this.#take(this.#cache?.find(line, end), value, timestampMs, f);

  /** `known` for a body read as bytes: the series is `view[start, end)`. */
  readonly knownBytes = (view: DataView, start: number, end: number, value: number, timestampMs: number | undefined, f: ParsedFamily): boolean =>
    this.#take(this.#cache?.findBytes(view, start, end), value, timestampMs, f);

  #take(e: CachedSeries | undefined, value: number, timestampMs: number | undefined, f: ParsedFamily): boolean {
    if (!e || e.famName !== f.name || e.famType !== f.type || e.famHelp !== f.help) return false;
    const cache = this.#cache!;
    this.scraped++;
    cache.seen(e);
    if (e.dropped) return true;
    this.kept++;
    const limit = this.#t.limits.sampleLimit;
    if (limit > 0 && this.kept > limit) throw new ScrapeError('sample_limit', `sample_limit exceeded (${limit})`);
    e.value = value;
    e.timestampMs = this.#t.honorTimestamps ? timestampMs : undefined;
    this.#held[this.#nHeld++] = e;
    if (!cache.inLastScrape(e)) this.added++;
    return true;
  }

  /** The sink handed to the parser. Throws ScrapeError on a breached limit. */
  readonly add = (s: ParsedSample, f: ParsedFamily): void => {
    this.scraped++;
    const t = this.#t;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.labels)) if (v !== '') labels[k] = v;
    for (const [k, v] of Object.entries(t.labels)) {
      if (t.honorLabels) {
        if (labels[k] === undefined) labels[k] = v;
      } else {
        if (labels[k] !== undefined) {
          let ek = 'exported_' + k;
          while (labels[ek] !== undefined) ek = 'exported_' + ek;
          labels[ek] = labels[k]!;
        }
        labels[k] = v;
      }
    }
    let name = s.name;
    let out: Record<string, string> | undefined = labels;
    const type = f.type ?? 'untyped';
    const isDist = type === 'histogram' || type === 'summary';
    const cache = !isDist && s.raw !== undefined ? this.#cache : undefined;
    if (t.metricRelabel.length > 0) {
      out = relabel({ ...labels, __name__: name }, t.metricRelabel);
      if (!out) {
        cache?.add(s.raw!, { famName: f.name, famType: f.type, famHelp: f.help, family: { name, help: '', type }, labels: {}, dropped: true, key: '' });
        return;
      }
      name = out.__name__ ?? name;
      delete out.__name__;
    }
    this.kept++;
    this.#checkLimits(name, out);
    if (cache) {
      const e = cache.add(s.raw!, {
        famName: f.name,
        famType: f.type,
        famHelp: f.help,
        family: this.#desc(name, f.help ?? '', type),
        labels: out,
        dropped: false,
        key: t.limits.seriesLimit > 0 ? name + '\u0002' + labelKey(out) : '',
      });
      e.value = s.value;
      e.timestampMs = t.honorTimestamps ? s.timestampMs : undefined;
      this.#held[this.#nHeld++] = e;
      this.added++;
      return;
    }
    const famName = isDist ? f.name : name;
    let g = this.#families.get(famName);
    if (!g) {
      g = { name: famName, help: f.help ?? '', type, samples: [], dists: isDist ? new Map() : undefined };
      this.#families.set(famName, g);
    }
    if (!g.dists) {
      const sample: Sample = { labels: out, value: s.value };
      if (t.honorTimestamps && s.timestampMs !== undefined) sample.timestampMs = s.timestampMs;
      g.samples.push(sample);
      return;
    }
    this.#distLine(g.dists, f, s.name, out, s.value);
  };

  #desc(name: string, help: string, type: MetricType): FamilyDesc {
    let d = this.#descs.get(name);
    if (!d || d.help !== help || d.type !== type) {
      d = { name, help, type };
      this.#descs.set(name, d);
    }
    return d;
  }

  #checkLimits(name: string, labels: Record<string, string>): void {
    const l = this.#t.limits;
    if (l.sampleLimit > 0 && this.kept > l.sampleLimit) throw new ScrapeError('sample_limit', `sample_limit exceeded (${l.sampleLimit})`);
    const names = Object.keys(labels);
    if (l.labelLimit > 0 && names.length + 1 > l.labelLimit) throw new ScrapeError('label_limit', `label_limit exceeded (${l.labelLimit}) by ${name}`);
    if (l.labelNameLengthLimit > 0 || l.labelValueLengthLimit > 0) {
      for (const k of names) {
        if (l.labelNameLengthLimit > 0 && k.length > l.labelNameLengthLimit)
          throw new ScrapeError('label_name_length_limit', `label_name_length_limit exceeded (${l.labelNameLengthLimit}) by ${name}: ${k}`);
        if (l.labelValueLengthLimit > 0 && labels[k]!.length > l.labelValueLengthLimit)
          throw new ScrapeError('label_value_length_limit', `label_value_length_limit exceeded (${l.labelValueLengthLimit}) by ${name}{${k}}`);
      }
    }
  }

  #distLine(dists: Map<string, DistParts>, f: ParsedFamily, line: string, labels: Record<string, string>, value: number): void {
    const base = { ...labels };
    const bound = f.type === 'histogram' ? base.le : base.quantile;
    if (line === f.name + '_bucket' || line === f.name) {
      delete base.le;
      delete base.quantile;
    }
    const key = labelKey(base);
    let d = dists.get(key);
    if (!d) {
      d = { labels: base, buckets: [], quantiles: [] };
      dists.set(key, d);
    }
    if (line === f.name + '_sum') d.sum = value;
    else if (line === f.name + '_count') d.count = value;
    else if (bound !== undefined) {
      const b = Number(bound === '+Inf' ? Infinity : bound);
      if (Number.isNaN(b)) throw new ScrapeError('parse', `${line}: bad ${f.type === 'histogram' ? 'le' : 'quantile'} ${JSON.stringify(bound)}`);
      (f.type === 'histogram' ? d.buckets : d.quantiles).push([b, value]);
    }
  }

  /**
   * The families of this scrape (distributions assembled) with the key of each of their series, and the samples
   * written through cache entries (each with its key). `held` is the cache's reused array: it holds this scrape's
   * samples until the cache's `succeeded` or `failed`, and the next scrape writes over it.
   */
  families(): { families: FamilySamples[]; held: CachedSeries[]; keys: string[] } {
    const families: FamilySamples[] = [];
    const keys: string[] = [];
    for (const g of this.#families.values()) {
      const samples = g.samples;
      if (g.dists) {
        for (const d of g.dists.values()) {
          d.buckets.sort((a, b) => a[0] - b[0]);
          d.quantiles.sort((a, b) => a[0] - b[0]);
          const inf = d.buckets.find((b) => b[0] === Infinity);
          const dist = { count: d.count ?? inf?.[1] ?? 0, sum: d.sum ?? 0, ...(g.type === 'histogram' ? { buckets: d.buckets } : { quantiles: d.quantiles }) };
          samples.push({ labels: d.labels, dist });
        }
      }
      for (const s of samples) keys.push(g.name + '\u0002' + labelKey(s.labels));
      families.push({ name: g.name, help: g.help, type: g.type, samples });
    }
    this.#held.length = this.#nHeld;
    return { families, held: this.#held, keys };
  }
}
