/**
 * Render cache: the body for each format is rendered at most once per store generation, and gzipped at most once,
 * so N scrapes between two collections cost one render. Between two renders it reads the store's change feed: a
 * family that came or went changes the family order (sorted again only then), a removal marks its family's series
 * list for a check, and each family remembers where its series' bytes sit in the last body (family-bytes.ts). The
 * next body is one Buffer of the exact size, copied from the last body where nothing changed, with only the changed
 * series formatted again.
 */
import { gzipSync } from 'node:zlib';
import type { Format } from '../formats/render';
import type { ChangeReader, Store } from '../store/store';
import { BodyWriter } from './body-writer';
import { FamilyBytes, type RenderWork } from './family-bytes';

interface Body {
  generation: number;
  body: Buffer;
  gzip: Buffer | undefined;
}

const eof = '# EOF\n';

export class RenderCache implements RenderWork {
  readonly #store: Store;
  readonly #feed: ChangeReader;
  readonly #bodies = new Map<Format, Body>();
  #families = new Map<string, FamilyBytes>();
  /** Families in name order; sorted again only when a family comes or goes. */
  #order: FamilyBytes[] = [];
  #orderStale = true;
  renders = 0;
  gzips = 0;
  /** Families written (again) since the cache was made: what the change feed saved shows here. */
  familyRenders = 0;
  /** Series whose lines were formatted (again): the others were copied as bytes. */
  seriesRenders = 0;

  constructor(store: Store) {
    this.#store = store;
    this.#feed = store.reader();
  }

  get(format: Format, gzip: boolean): Buffer {
    const gen = this.#store.generation;
    let e = this.#bodies.get(format);
    if (!e || e.generation !== gen) {
      e = { generation: gen, body: this.#render(format), gzip: undefined };
      this.renders++;
      this.#bodies.set(format, e);
    }
    if (!gzip) return e.body;
    if (!e.gzip) {
      e.gzip = gzipSync(e.body, { level: 1 });
      this.gzips++;
    }
    return e.gzip;
  }

  /** Applies what changed since the last render: families that came or went, and series removals. */
  #catchUp(): void {
    if (this.#feed.generation === this.#store.generation) return;
    const cs = this.#feed.next();
    if (cs.resync) {
      // Everything live is listed: keep what is still the same family (its series bytes are reused by generation).
      const next = new Map<string, FamilyBytes>();
      for (const fam of cs.families) {
        if (fam.series.size === 0) continue;
        const known = this.#families.get(fam.name);
        const fb = known && known.family === fam ? known : new FamilyBytes(fam);
        fb.resynced();
        next.set(fam.name, fb);
      }
      this.#families = next;
      this.#orderStale = true;
      return;
    }
    for (const s of cs.removed) this.#note(s.family.name, true);
    for (const fam of cs.families) this.#note(fam.name, false);
    for (const s of cs.series) {
      const fb = this.#families.get(s.family.name);
      if (fb !== undefined && fb.family === s.family) fb.seriesChanged(s);
    }
  }

  #note(name: string, removal: boolean): void {
    const live = this.#store.getFamily(name);
    const known = this.#families.get(name);
    if (!live || live.series.size === 0) {
      if (known) {
        this.#families.delete(name);
        this.#orderStale = true;
      }
      return;
    }
    if (known && known.family === live) {
      if (removal) known.membersChanged();
      return;
    }
    this.#families.set(name, new FamilyBytes(live));
    this.#orderStale = true;
  }

  #render(format: Format): Buffer {
    this.#catchUp();
    if (this.#orderStale) {
      this.#order = [...this.#families.values()].sort((a, b) => (a.family.name < b.family.name ? -1 : a.family.name > b.family.name ? 1 : 0));
      this.#orderStale = false;
    }
    const order = this.#order;
    let total = format === 'openmetrics' ? eof.length : 0;
    for (const fb of order) total += fb.prepare(format, this);
    const out = new BodyWriter(total, this.#bodies.get(format)?.body);
    try {
      for (const fb of order) fb.write(format, out);
      if (format === 'openmetrics') out.write(eof, eof.length);
      return out.finish();
    } catch (err) {
      // The families' places in the last body are no longer known: start again from nothing next time.
      this.#families.clear();
      this.#orderStale = true;
      this.#feed.reset();
      throw err;
    }
  }
}
