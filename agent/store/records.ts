/**
 * Series and family records. Readers outside the store get the read-only `Series` and `Family` views; only the
 * store (its writers and its change log) holds the mutable records behind them.
 */
import type { Distribution, FamilyDesc, Labels } from './types';

/** One series as readers see it. The store changes the record behind it; a reader never does. */
export interface Series {
  readonly family: Family;
  readonly labels: Labels;
  /** Canonical label key (sorted names); stable identity of the series inside its family. */
  readonly key: string;
  /** Store-wide numeric id, unique for the life of the store (never reused). */
  readonly id: number;
  readonly value: number;
  readonly dist: Readonly<Distribution> | undefined;
  /** Explicit timestamp of the value in ms (rare: pass-through and StatsD `|T` samples). */
  readonly timestampMs: number | undefined;
  /** Last write or keep-alive, in ms (what the staleness sweep reads). */
  readonly updatedMs: number;
  readonly owner: string | undefined;
  /** Generation of the last change (creation or a write that changed something). */
  readonly changedGen: number;
  /** Cached `{a="b",c="d"}` text (empty when no labels). */
  readonly labelText: string;
  /** Its values start from zero with each agent process (FamilyDesc.restartsWithAgent, kept per series). */
  readonly restartsWithAgent?: true;
}

/**
 * A sample whose writer keeps its series handle from one snapshot to the next (`Store.replaceOwnedHeld`): the store
 * writes through `series` while it is live, and otherwise finds or creates the series by `family` and `labels` and
 * sets `series` to it (undefined when refused).
 */
export interface HeldSample {
  readonly family: Readonly<FamilyDesc>;
  labels: Labels;
  value: number;
  timestampMs: number | undefined;
  series: Series | undefined;
}

/** A family as readers see it. */
export interface Family extends Readonly<FamilyDesc> {
  readonly series: ReadonlyMap<string, Series>;
  /** Generation of the last change to the family: a series written, added or removed, or its HELP changed. */
  readonly changedGen: number;
}

/** Links of the change log's lists (oldest change first), kept on the records themselves. */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
  changedGen: number;
}

/**
 * What a series shares with the other series of its source: the source its budget counts against, whether its values
 * start from zero with the agent, and the store's time epoch. One object per (source, flag) pair for the store's
 * current epoch, so a record holds one field for the three.
 */
export interface SeriesOrigin {
  readonly source: string;
  readonly restarts: boolean;
  /** The record's `updatedAt` counts ms from this time. */
  readonly epochMs: number;
}

/**
 * The store's record of one series. A class whose constructor sets every field, so every record has the same hidden
 * class with all its fields in the object (a field added later would go to a separate property array), and the
 * removal mark is a value of `snapshot` rather than a field of its own. The fields are `declare`d, so none is first
 * defined as undefined (a field that held undefined keeps every number it is given as a heap number of its own); the
 * constructor's order is the fields' order. The last update is kept as ms since its
 * origin's epoch: a small integer stored in the record, where a time since 1970 would be a 16-byte heap number of
 * its own (the store moves its epoch forward before the difference outgrows a small integer; origins.ts).
 */
export class SeriesRecord implements Linked<SeriesRecord> {
  declare readonly family: FamilyRecord;
  declare readonly labels: Labels;
  declare readonly key: string;
  declare readonly id: number;
  declare value: number;
  declare dist: Distribution | undefined;
  declare timestampMs: number | undefined;
  /** Last write or keep-alive, in ms since `origin.epochMs`. */
  declare updatedAt: number;
  declare owner: string | undefined;
  declare changedGen: number;
  declare readonly labelText: string;
  declare origin: SeriesOrigin;
  declare prev: SeriesRecord | undefined;
  declare next: SeriesRecord | undefined;
  /** The last owner snapshot (`replaceOwned`) that wrote the series; `REMOVED` once it left the store. */
  declare snapshot: number;

  constructor(family: FamilyRecord, labels: Labels, key: string, labelText: string, id: number, updatedAt: number, owner: string | undefined, origin: SeriesOrigin) {
    this.family = family;
    this.labels = labels;
    this.key = key;
    this.id = id;
    this.value = 0;
    this.dist = undefined;
    this.timestampMs = undefined;
    this.updatedAt = updatedAt;
    this.owner = owner;
    this.changedGen = 0;
    this.labelText = labelText;
    this.origin = origin;
    this.prev = undefined;
    this.next = undefined;
    this.snapshot = 0;
  }

  /** Last write or keep-alive, in ms (what the staleness sweep reads). */
  get updatedMs(): number {
    return this.origin.epochMs + this.updatedAt;
  }

  /** The source whose series budget the series counts against (store.ts, "Budgets"). */
  get source(): string {
    return this.origin.source;
  }

  get restartsWithAgent(): true | undefined {
    return this.origin.restarts ? true : undefined;
  }

  /** Set when the series left the store (a record is never put back). */
  get removed(): boolean {
    return this.snapshot === REMOVED;
  }

  markRemoved(): void {
    this.snapshot = REMOVED;
  }
}

/** `snapshot` of a record that left the store (snapshot numbers start at 1). */
const REMOVED = -1;

export interface FamilyRecord extends FamilyDesc, Linked<FamilyRecord> {
  readonly series: Map<string, SeriesRecord>;
  /** The token of the store that made the family: a handle is live in a store by a field read, no lookup. */
  readonly store: object;
}
