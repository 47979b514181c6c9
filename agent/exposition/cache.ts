/**
 * Render cache: the body for each format is rendered at most once per store generation, and gzipped at most once,
 * so N scrapes between two collections cost one render; and within a render, families unchanged since the last one
 * are reused as text.
 */
import { gzipSync } from 'node:zlib';
import { Store } from '../store/store';
import { FamilyCache, Format, render } from './render';

interface Entry {
  generation: number;
  body: Buffer;
  gzip: Buffer | undefined;
}

export class RenderCache {
  readonly #store: Store;
  readonly #entries = new Map<Format, Entry>();
  readonly #families: Record<Format, FamilyCache> = { text: new WeakMap(), openmetrics: new WeakMap() };
  renders = 0;
  gzips = 0;

  constructor(store: Store) {
    this.#store = store;
  }

  get(format: Format, gzip: boolean): Buffer {
    const gen = this.#store.generation;
    let e = this.#entries.get(format);
    if (!e || e.generation !== gen) {
      e = { generation: gen, body: Buffer.from(render(this.#store, format, this.#families[format]), 'utf8'), gzip: undefined };
      this.renders++;
      this.#entries.set(format, e);
    }
    if (!gzip) return e.body;
    if (!e.gzip) {
      e.gzip = gzipSync(e.body, { level: 1 });
      this.gzips++;
    }
    return e.gzip;
  }
}
