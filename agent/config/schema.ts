/**
 * The configuration schema: every key the agent understands, its type, default and one-sentence help.
 *
 * One naming rule ties the three sources together. Key `statsd.flush_interval` (snake_case segments joined by dots)
 * is written in YAML as nested maps, on the command line as `--statsd.flush-interval`, and in the environment as
 * `OUTRIDER_STATSD_FLUSH_INTERVAL`. Precedence: defaults < file < environment < flags.
 *
 * Sections register their keys with `defineKeys` from their own module (see ./keys/); defaults live here, nowhere else.
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

const registry = new Map<string, KeyDef>();

export function defineKeys(defs: readonly KeyDef[]): void {
  for (const def of defs) {
    if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/.test(def.key)) throw new Error(`bad config key name ${def.key}`);
    if (registry.has(def.key)) throw new Error(`config key ${def.key} defined twice`);
    for (const other of registry.keys()) {
      if (other.startsWith(def.key + '.') || def.key.startsWith(other + '.')) {
        throw new Error(`config key ${def.key} overlaps ${other}`);
      }
    }
    registry.set(def.key, def);
  }
}

export function keyDefs(): KeyDef[] {
  return [...registry.values()];
}

export function keyDef(key: string): KeyDef | undefined {
  return registry.get(key);
}

/** True when `prefix` names a section (a proper prefix of at least one key). */
export function isSection(prefix: string): boolean {
  for (const k of registry.keys()) if (k.startsWith(prefix + '.')) return true;
  return false;
}

export function envName(key: string): string {
  return 'OUTRIDER_' + key.toUpperCase().replace(/\./g, '_');
}

export function flagName(key: string): string {
  return key.replace(/_/g, '-');
}
