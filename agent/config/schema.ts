/**
 * The configuration schema: every key the agent understands, its type, default and one-sentence help.
 *
 * One naming rule ties the three sources together. Key `statsd.flush_interval` (snake_case segments joined by dots)
 * is written in YAML as nested maps, on the command line as `--statsd.flush-interval`, and in the environment as
 * `OUTRIDER_STATSD_FLUSH_INTERVAL`. Precedence: defaults < file < environment < flags.
 *
 * Each component owns its keys (`defineKeys` in a `keys.ts` next to its code); the composition root assembles them into
 * a `KeySet` and hands it to the loader, --help and the reference file. This module imports nothing from components.
 */

export type KeyType =
  | 'string'
  | 'int'
  | 'number'
  | 'bool'
  | 'duration' // stored as milliseconds
  | 'size' // stored as bytes
  | 'enum'
  | 'hostport' // "host:port", "[v6]:port", ":port"
  | 'url'
  | 'path'
  | 'list' // list of `item`
  | 'map' // string → string
  | 'any'; // structured value validated by `check`

export interface KeyDef {
  /** Dotted snake_case key, e.g. `statsd.flush_interval`. */
  key: string;
  type: KeyType;
  /** Default in the parsed form (ms for durations, bytes for sizes). */
  default: unknown;
  /** One sentence shown in --help, check-config and config/outrider.yaml. */
  help: string;
  /** Allowed values for `enum` (and for the items of an enum list). */
  values?: readonly string[];
  /** Item type for `list`. */
  item?: Exclude<KeyType, 'list' | 'map' | 'any'>;
  /** A `list` key whose file value may also be one item written alone (a key that was once a single value). */
  singleItem?: boolean;
  min?: number;
  max?: number;
  /** Extra flag spellings (without the leading dashes), e.g. `report-to`. */
  flagAliases?: readonly string[];
  /** Extra checks on the parsed value; returns what is expected when the value is wrong. */
  check?: (value: unknown) => string | undefined;
  /** Shown in `outrider agent --help` among the common flags. */
  common?: boolean;
  /** Which commands read the key (for --help); default: agent. */
  commands?: readonly string[];
  /** Never echoed in logs or errors (tokens, passwords). */
  secret?: boolean;
}

/**
 * Gives a section's key list its type; each component exports its list (`export const keys = defineKeys([...])`)
 * from a `keys.ts` next to its code, and the composition root assembles them into one KeySet.
 */
export function defineKeys(defs: readonly KeyDef[]): readonly KeyDef[] {
  return defs;
}

/** Every key of one program, in the order of --help and config/outrider.yaml; names are checked once here. */
export class KeySet {
  readonly #defs = new Map<string, KeyDef>();
  #flags: Map<string, string> | undefined;
  #env: Map<string, KeyDef> | undefined;

  constructor(...sections: ReadonlyArray<readonly KeyDef[]>) {
    for (const def of sections.flat()) {
      if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/.test(def.key)) throw new Error(`bad config key name ${def.key}`);
      if (this.#defs.has(def.key)) throw new Error(`config key ${def.key} defined twice`);
      for (const other of this.#defs.keys()) {
        if (other.startsWith(def.key + '.') || def.key.startsWith(other + '.')) {
          throw new Error(`config key ${def.key} overlaps ${other}`);
        }
      }
      this.#defs.set(def.key, def);
    }
  }

  all(): KeyDef[] {
    return [...this.#defs.values()];
  }

  get(key: string): KeyDef | undefined {
    return this.#defs.get(key);
  }

  has(key: string): boolean {
    return this.#defs.has(key);
  }

  /** True when `prefix` names a section (a proper prefix of at least one key). */
  isSection(prefix: string): boolean {
    for (const k of this.#defs.keys()) if (k.startsWith(prefix + '.')) return true;
    return false;
  }

  /** The key a flag spells (`statsd.flush-interval`, `statsd.flush_interval` or an alias such as `report-to`). */
  flagToKey(flag: string): string | undefined {
    if (!this.#flags) {
      this.#flags = new Map();
      for (const def of this.#defs.values()) {
        this.#flags.set(flagName(def.key), def.key);
        this.#flags.set(def.key, def.key);
        for (const a of def.flagAliases ?? []) this.#flags.set(a, def.key);
      }
    }
    return this.#flags.get(flag);
  }

  /** The key an OUTRIDER_* environment variable names. */
  byEnv(name: string): KeyDef | undefined {
    if (!this.#env) {
      this.#env = new Map();
      for (const def of this.#defs.values()) this.#env.set(envName(def.key), def);
    }
    return this.#env.get(name);
  }
}

export function envName(key: string): string {
  return 'OUTRIDER_' + key.toUpperCase().replace(/\./g, '_');
}

export function flagName(key: string): string {
  return key.replace(/_/g, '-');
}
