/**
 * The series store: the one table every collector writes into and the endpoint, analysers and reporters read.
 *
 * A family (name, help, type) holds series keyed by their label set. Writes bump `generation`, so readers can
 * cache what they derive from the store (the exposition renders once per generation). Series written through an
 * owner's snapshot (`replaceOwned`) vanish as soon as the owner's next snapshot omits them; every series also
 * expires after `staleAfterMs` without an update. The total number of series is bounded; writes past the bound are
 * dropped and counted.
 */
import { Distribution, FamilyDesc, FamilySamples, isValidLabelName, isValidMetricName, Labels, MetricType, Sample } from './types';

export interface Series {
  readonly family: Family;
  readonly labels: Labels;
  /** Canonical label key (sorted names); stable identity of the series inside its family. */
  readonly key: string;
  /** Store-wide numeric id, unique for the life of the store (never reused). */
  readonly id: number;
  value: number;
  dist: Distribution | undefined;
  timestampMs: number | undefined;
  updatedMs: number;
  owner: string | undefined;
  /** Generation of the last write, so readers can take "what changed since generation G". */
  changedGen: number;
  /** Cached `{a="b",c="d"}` text (empty when no labels). */
  labelText: string;
}

export interface Family extends FamilyDesc {
  readonly series: Map<string, Series>;
  /** Generation of the last change to any series of the family (lets readers cache per family). */
  changedGen: number;
}

export interface StoreOptions {
  staleAfterMs?: number;
  maxSeries?: number;
  now?: () => number;
}

export type DropReason = 'max_series' | 'invalid_name' | 'invalid_label' | 'type_conflict';

export class Store {
  readonly #families = new Map<string, Family>();
  readonly #owned = new Map<string, Set<Series>>();
  readonly #now: () => number;
  #generation = 0;
  #seriesCount = 0;
  #nextId = 1;
  staleAfterMs: number;
  maxSeries: number;
  /** Writes dropped, by reason. */
  readonly dropped: Record<DropReason, number> = { max_series: 0, invalid_name: 0, invalid_label: 0, type_conflict: 0 };
  /** Called once per dropped write reason+family, so the owner can log it (rate limiting is the caller's). */
  onDrop: ((reason: DropReason, family: string, detail: string) => void) | undefined;

  constructor(opts: StoreOptions = {}) {
    this.staleAfterMs = opts.staleAfterMs ?? 60_000;
    this.maxSeries = opts.maxSeries ?? 500_000;
    this.#now = opts.now ?? Date.now;
  }

  get generation(): number {
    return this.#generation;
  }

  get seriesCount(): number {
    return this.#seriesCount;
  }

  families(): IterableIterator<Family> {
    return this.#families.values();
  }

  getFamily(name: string): Family | undefined {
    return this.#families.get(name);
  }

  /** Registers (or returns) a family; a second registration with another type is refused. */
  family(desc: FamilyDesc): Family | undefined {
    const existing = this.#families.get(desc.name);
    if (existing) {
      if (existing.type !== desc.type) {
        this.#drop('type_conflict', desc.name, `registered as ${existing.type}, written as ${desc.type}`);
        return undefined;
      }
      if (desc.restartsWithAgent && !existing.restartsWithAgent) existing.restartsWithAgent = true;
      if (desc.help && existing.help !== desc.help) {
        existing.help = desc.help;
        existing.changedGen = ++this.#generation;
      }
      return existing;
    }
    if (!isValidMetricName(desc.name)) {
      this.#drop('invalid_name', desc.name, 'not a valid Prometheus metric name');
      return undefined;
    }
    const fam: Family = { name: desc.name, help: desc.help, type: desc.type, series: new Map(), changedGen: this.#generation };
    if (desc.restartsWithAgent) fam.restartsWithAgent = true;
    this.#families.set(desc.name, fam);
    return fam;
  }

  /** Looks up or creates a series; undefined when refused (bound reached, bad label). */
  series(fam: Family, labels: Labels, owner?: string): Series | undefined {
    const key = labelKey(labels);
    let s = fam.series.get(key);
    if (s) return s;
    for (const name of Object.keys(labels)) {
      if (!isValidLabelName(name) && !(fam.type === 'histogram' && name === 'le') && !(fam.type === 'summary' && name === 'quantile')) {
        this.#drop('invalid_label', fam.name, `label name ${JSON.stringify(name)}`);
        return undefined;
      }
    }
    if (this.#seriesCount >= this.maxSeries) {
      this.#drop('max_series', fam.name, `store holds ${this.#seriesCount} series`);
      return undefined;
    }
    s = {
      family: fam,
      labels: { ...labels },
      key,
      id: this.#nextId++,
      value: 0,
      dist: undefined,
      timestampMs: undefined,
      updatedMs: this.#now(),
      owner,
      changedGen: this.#generation + 1,
      labelText: renderLabels(labels),
    };
    fam.series.set(key, s);
    fam.changedGen = this.#generation + 1;
    this.#seriesCount++;
    if (owner !== undefined) this.#ownedSet(owner).add(s);
    return s;
  }

  /** Sets a counter, gauge or untyped value. */
  set(desc: FamilyDesc, labels: Labels, value: number, nowMs = this.#now()): Series | undefined {
    const fam = this.family(desc);
    const s = fam && this.series(fam, labels);
    if (!s) return undefined;
    this.#write(s, value, undefined, undefined, nowMs);
    return s;
  }

  /**
   * Writes a value through a series handle a caller kept from an earlier write (skips the family and label-key
   * lookups). Returns false when the series is no longer in the store (removed or expired): write by labels then.
   */
  writeHandle(s: Series, value: number, dist?: Distribution, nowMs = this.#now()): boolean {
    if (s.family.series.get(s.key) !== s || this.#families.get(s.family.name) !== s.family) return false;
    this.#write(s, dist ? dist.count : value, dist, undefined, nowMs);
    return true;
  }

  /** Adds to a counter (or gauge). */
  add(desc: FamilyDesc, labels: Labels, delta: number, nowMs = this.#now()): Series | undefined {
    const fam = this.family(desc);
    const s = fam && this.series(fam, labels);
    if (!s) return undefined;
    this.#write(s, s.value + delta, undefined, undefined, nowMs);
    return s;
  }

  /** Sets a summary or histogram. */
  setDist(desc: FamilyDesc, labels: Labels, dist: Distribution, nowMs = this.#now()): Series | undefined {
    const fam = this.family(desc);
    const s = fam && this.series(fam, labels);
    if (!s) return undefined;
    this.#write(s, dist.count, dist, undefined, nowMs);
    return s;
  }

  /**
   * Writes a full snapshot for `owner`: every sample is set, and every series the owner wrote before and did not
   * write now is removed (a vanished disk or interface disappears at the next collection, as in node_exporter).
   */
  replaceOwned(owner: string, families: readonly FamilySamples[], nowMs = this.#now()): void {
    const before = this.#owned.get(owner);
    const seen = new Set<Series>();
    for (const fs of families) {
      const fam = this.family(fs);
      if (!fam) continue;
      for (const sample of fs.samples) {
        const s = this.series(fam, sample.labels, owner);
        if (!s) continue;
        if (s.owner !== owner) {
          if (s.owner !== undefined) this.#owned.get(s.owner)?.delete(s);
          s.owner = owner;
          this.#ownedSet(owner).add(s);
        }
        this.#writeSample(s, sample, nowMs);
        seen.add(s);
      }
    }
    if (before) for (const s of before) if (!seen.has(s)) this.remove(s);
  }

  /** Removes every series written by `owner` (a collector that was disabled). */
  dropOwner(owner: string): void {
    const set = this.#owned.get(owner);
    if (!set) return;
    for (const s of [...set]) this.remove(s);
    this.#owned.delete(owner);
  }

  remove(s: Series): void {
    const fam = s.family;
    if (fam.series.get(s.key) !== s) return;
    fam.series.delete(s.key);
    this.#seriesCount--;
    if (s.owner !== undefined) this.#owned.get(s.owner)?.delete(s);
    if (fam.series.size === 0) this.#families.delete(fam.name);
    fam.changedGen = ++this.#generation;
  }

  /** Removes series not updated within `staleAfterMs`; returns how many went. */
  sweep(nowMs = this.#now()): number {
    const cutoff = nowMs - this.staleAfterMs;
    let n = 0;
    for (const fam of [...this.#families.values()]) {
      for (const s of [...fam.series.values()]) {
        if (s.updatedMs < cutoff) {
          this.remove(s);
          n++;
        }
      }
    }
    return n;
  }

  /** Marks the store changed without a write (e.g. metadata update). */
  touch(): void {
    this.#generation++;
  }

  #writeSample(s: Series, sample: Sample, nowMs: number): void {
    if (sample.dist) this.#write(s, sample.dist.count, sample.dist, sample.timestampMs, nowMs);
    else this.#write(s, sample.value ?? NaN, undefined, sample.timestampMs, nowMs);
  }

  #write(s: Series, value: number, dist: Distribution | undefined, ts: number | undefined, nowMs: number): void {
    const changed = !Object.is(s.value, value) || dist !== undefined || s.dist !== undefined || s.timestampMs !== ts;
    s.value = value;
    s.dist = dist;
    s.timestampMs = ts;
    s.updatedMs = nowMs;
    if (changed) {
      this.#generation++;
      s.changedGen = this.#generation;
      s.family.changedGen = this.#generation;
    }
  }

  #ownedSet(owner: string): Set<Series> {
    let set = this.#owned.get(owner);
    if (!set) {
      set = new Set();
      this.#owned.set(owner, set);
    }
    return set;
  }

  #drop(reason: DropReason, family: string, detail: string): void {
    this.dropped[reason]++;
    this.onDrop?.(reason, family, detail);
  }
}

/** Canonical key of a label set: names sorted, NUL-separated (NUL cannot appear in a name). */
export function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  if (names.length > 1) names.sort();
  let key = '';
  for (const n of names) key += n + '\u0000' + labels[n] + '\u0000';
  return key;
}

export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

/** `{a="b",c="d"}` with names sorted; empty string for no labels. */
export function renderLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  names.sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    out += (i ? ',' : '') + n + '="' + escapeLabelValue(labels[n]!) + '"';
  }
  return out + '}';
}

export type { MetricType };
