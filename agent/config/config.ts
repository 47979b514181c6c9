import type { KeySet } from './schema';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

/**
 * A validated configuration: a flat map from dotted key to parsed value (ms for durations, bytes for sizes).
 * Reading a key the schema does not define is a programming error and throws.
 */
export class Config {
  readonly #keys: KeySet;
  readonly #values: Map<string, unknown>;
  readonly #sources: Map<string, ConfigSource>;
  readonly file: string | undefined;

  constructor(keys: KeySet, values: Map<string, unknown>, sources: Map<string, ConfigSource>, file?: string) {
    this.#keys = keys;
    this.#values = values;
    this.#sources = sources;
    this.file = file;
  }

  /** Every key of `keys` at its default. */
  static defaults(keys: KeySet): Config {
    const values = new Map<string, unknown>();
    const sources = new Map<string, ConfigSource>();
    for (const def of keys.all()) {
      values.set(def.key, structuredClone(def.default));
      sources.set(def.key, 'default');
    }
    return new Config(keys, values, sources);
  }

  get<T = unknown>(key: string): T {
    if (!this.#values.has(key)) throw new Error(`config key ${key} is not defined in the schema`);
    return this.#values.get(key) as T;
  }

  string(key: string): string {
    return this.get<string>(key);
  }

  number(key: string): number {
    return this.get<number>(key);
  }

  bool(key: string): boolean {
    return this.get<boolean>(key);
  }

  list<T = string>(key: string): T[] {
    return this.get<T[]>(key);
  }

  /** The keys this configuration holds. */
  get keys(): KeySet {
    return this.#keys;
  }

  source(key: string): ConfigSource {
    return this.#sources.get(key) ?? 'default';
  }

  /** A copy with some keys replaced (tests and programmatic use); values must already be in parsed form. */
  with(overrides: Record<string, unknown>): Config {
    const values = new Map(this.#values);
    const sources = new Map(this.#sources);
    for (const [k, v] of Object.entries(overrides)) {
      if (!this.#keys.has(k)) throw new Error(`config key ${k} is not defined in the schema`);
      values.set(k, v);
      sources.set(k, 'flag');
    }
    return new Config(this.#keys, values, sources, this.file);
  }

  /** Flat view with secrets redacted, for logs and the JSON API. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.#values) out[k] = this.#keys.get(k)?.secret && v ? '<redacted>' : v;
    return out;
  }
}
