/**
 * Render cache: the body for each format is rendered at most once per store generation, and gzipped at most once,
 * so N scrapes between two collections cost one render. Between two renders it reads the store's change feed: only
 * the families changed since the last render are rendered again (their text is kept per format until they change),
 * families stay in name order without sorting the whole list again, and a removed family's text goes.
 */
import { gzipSync } from 'node:zlib';
import { Format, renderFamily } from '../formats/render';
import type { ChangeReader, Family, Store } from '../store/store';

interface Body {
  generation: number;
  body: Buffer;
  gzip: Buffer | undefined;
}

/** A family's rendered text per format (rendered on first use after a change). */
interface FamilyText {
  family: Family;
  text: string | undefined;
  openmetrics: string | undefined;
}

export class RenderCache {
  readonly #store: Store;
  readonly #feed: ChangeReader;
  readonly #bodies = new Map<Format, Body>();
  readonly #families = new Map<string, FamilyText>();
  /** Family names in order; rebuilt only when a family comes or goes. */
  #order: FamilyText[] = [];
  #orderStale = true;
  renders = 0;
  gzips = 0;
  /** Families rendered (again) since the cache was made: what the change feed saved shows here. */
  familyRenders = 0;

  constructor(store: Store) {
    this.#store = store;
    this.#feed = store.reader();
  }

  get(format: Format, gzip: boolean): Buffer {
    const gen = this.#store.generation;
    let e = this.#bodies.get(format);
    if (!e || e.generation !== gen) {
      e = { generation: gen, body: Buffer.from(this.#render(format), 'utf8'), gzip: undefined };
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

  /** Applies what changed since the last render to the per-family texts. */
  #catchUp(): void {
    if (this.#feed.generation === this.#store.generation) return;
    const cs = this.#feed.next();
    if (cs.resync) {
      this.#families.clear();
      this.#orderStale = true;
    }
    for (const s of cs.removed) this.#invalidate(s.family.name);
    for (const fam of cs.families) this.#invalidate(fam.name);
    for (const s of cs.series) this.#invalidate(s.family.name);
  }

  #invalidate(name: string): void {
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
      known.text = known.openmetrics = undefined;
      return;
    }
    this.#families.set(name, { family: live, text: undefined, openmetrics: undefined });
    this.#orderStale = true;
  }

  #render(format: Format): string {
    this.#catchUp();
    if (this.#orderStale) {
      this.#order = [...this.#families.values()].sort((a, b) => (a.family.name < b.family.name ? -1 : a.family.name > b.family.name ? 1 : 0));
      this.#orderStale = false;
    }
    const out: string[] = [];
    for (const ft of this.#order) {
      let text = ft[format];
      if (text === undefined) {
        const parts: string[] = [];
        renderFamily(ft.family, format, parts);
        text = ft[format] = parts.join('');
        this.familyRenders++;
      }
      out.push(text);
    }
    if (format === 'openmetrics') out.push('# EOF\n');
    return out.join('');
  }
}
