/**
 * Mapping rules (statsd_exporter's idea): turn a dotted StatsD name into a Prometheus name plus labels.
 *
 *   statsd:
 *     mappings:
 *       - match: "api.*.requests.*"        # glob: "*" matches one dot-separated part (no dots)
 *         name: "api_requests"             # template; $1 / ${1} are captures
 *         labels: { service: "$1", code: "${2}" }
 *       - match: "^db\\.(\\w+)\\.query_time$"
 *         match_type: regex                # anchored, captures as above
 *         name: "db_query_seconds"
 *         labels: { db: "$1" }
 *         observer_type: histogram          # summary (default from statsd.observer_type) or histogram
 *         buckets: [0.001, 0.01, 0.1, 1]
 *       - match: "debug.*"
 *         action: drop                     # lines matching are discarded (counted as dropped_by_mapping)
 *
 * Rules are tried in order; the first match wins. A name no rule matches keeps its own name, sanitized.
 */
import { isValidLabelName, isValidMetricName } from '../../store/types';

export type ObserverType = 'summary' | 'histogram';

export interface MappingRuleConfig {
  match: string;
  match_type?: 'glob' | 'regex';
  name?: string;
  labels?: Record<string, string>;
  observer_type?: ObserverType;
  buckets?: number[];
  quantiles?: number[];
  action?: 'map' | 'drop';
  help?: string;
}

export interface MappingResult {
  /** Prometheus name (before any `_total` suffix); undefined keeps the sanitized StatsD name. */
  name: string | undefined;
  labels: Record<string, string>;
  observerType: ObserverType | undefined;
  buckets: number[] | undefined;
  quantiles: number[] | undefined;
  drop: boolean;
  help: string | undefined;
}

interface CompiledRule {
  re: RegExp;
  cfg: MappingRuleConfig;
}

const ruleKeys = new Set(['match', 'match_type', 'name', 'labels', 'observer_type', 'buckets', 'quantiles', 'action', 'help']);

/** Validates `statsd.mappings`; returns every problem at once (or undefined when valid). */
export function checkMappings(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'a list of mapping rules ({match, name, labels, match_type, observer_type, buckets, quantiles, action})';
  const problems: string[] = [];
  value.forEach((r: unknown, i) => {
    const at = `rule ${i + 1}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      problems.push(`${at}: a map with at least "match"`);
      return;
    }
    const rule = r as Record<string, unknown>;
    for (const k of Object.keys(rule)) if (!ruleKeys.has(k)) problems.push(`${at}: unknown field "${k}" (use one of ${[...ruleKeys].join(', ')})`);
    if (typeof rule.match !== 'string' || rule.match === '') problems.push(`${at}: "match" must be a non-empty string`);
    if (rule.match_type !== undefined && rule.match_type !== 'glob' && rule.match_type !== 'regex') problems.push(`${at}: "match_type" must be glob or regex`);
    if (rule.action !== undefined && rule.action !== 'map' && rule.action !== 'drop') problems.push(`${at}: "action" must be map or drop`);
    if (typeof rule.match === 'string' && rule.match !== '') {
      try {
        compileMatch(rule.match, rule.match_type === 'regex' ? 'regex' : 'glob');
      } catch (err) {
        problems.push(`${at}: "match" is not a valid regular expression (${(err as Error).message})`);
      }
    }
    if (rule.name !== undefined) {
      if (typeof rule.name !== 'string' || rule.name === '') problems.push(`${at}: "name" must be a non-empty string`);
      else if (!/[$]/.test(rule.name) && !isValidMetricName(rule.name)) problems.push(`${at}: "name" ${JSON.stringify(rule.name)} is not a valid Prometheus metric name`);
    }
    if (rule.labels !== undefined) {
      if (typeof rule.labels !== 'object' || rule.labels === null || Array.isArray(rule.labels)) problems.push(`${at}: "labels" must be a map of label names to templates`);
      else
        for (const [k, v] of Object.entries(rule.labels)) {
          if (!isValidLabelName(k)) problems.push(`${at}: label name ${JSON.stringify(k)} is not a valid Prometheus label name`);
          if (typeof v !== 'string') problems.push(`${at}: label ${k} must be a string template`);
        }
    }
    if (rule.observer_type !== undefined && rule.observer_type !== 'summary' && rule.observer_type !== 'histogram') problems.push(`${at}: "observer_type" must be summary or histogram`);
    if (rule.buckets !== undefined && !isSortedNumbers(rule.buckets)) problems.push(`${at}: "buckets" must be a list of increasing numbers`);
    if (rule.quantiles !== undefined && (!isSortedNumbers(rule.quantiles) || (rule.quantiles as number[]).some((q) => q < 0 || q > 1))) {
      problems.push(`${at}: "quantiles" must be a list of increasing numbers between 0 and 1`);
    }
    if (rule.help !== undefined && typeof rule.help !== 'string') problems.push(`${at}: "help" must be a string`);
  });
  return problems.length ? problems.join('; ') : undefined;
}

function isSortedNumbers(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) return false;
    if (i > 0 && v[i] <= v[i - 1]) return false;
  }
  return true;
}

function compileMatch(match: string, type: 'glob' | 'regex'): RegExp {
  if (type === 'regex') {
    let src = match;
    if (!src.startsWith('^')) src = '^(?:' + src + ')';
    if (!src.endsWith('$')) src = src + '$';
    return new RegExp(src);
  }
  const src = match
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('([^.]+)');
  return new RegExp('^' + src + '$');
}

function expand(template: string, caps: RegExpExecArray): string {
  return template.replace(/\$\{(\d+)\}|\$(\d+)/g, (_m, a: string | undefined, b: string | undefined) => caps[Number(a ?? b)] ?? '');
}

export class Mapper {
  readonly #rules: CompiledRule[];
  readonly #cache = new Map<string, MappingResult | null>();
  readonly #cacheMax: number;

  constructor(rules: readonly MappingRuleConfig[], cacheMax = 100_000) {
    this.#rules = rules.map((cfg) => ({ cfg, re: compileMatch(cfg.match, cfg.match_type ?? 'glob') }));
    this.#cacheMax = cacheMax;
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The mapping for a StatsD name, or null when no rule matches. Cached per name. */
  map(name: string): MappingResult | null {
    if (this.#rules.length === 0) return null;
    const hit = this.#cache.get(name);
    if (hit !== undefined) return hit;
    let res: MappingResult | null = null;
    for (const r of this.#rules) {
      const caps = r.re.exec(name);
      if (!caps) continue;
      const labels: Record<string, string> = {};
      for (const [k, tpl] of Object.entries(r.cfg.labels ?? {})) labels[k] = expand(tpl, caps);
      res = {
        name: r.cfg.name !== undefined ? expand(r.cfg.name, caps) : undefined,
        labels,
        observerType: r.cfg.observer_type,
        buckets: r.cfg.buckets,
        quantiles: r.cfg.quantiles,
        drop: r.cfg.action === 'drop',
        help: r.cfg.help,
      };
      break;
    }
    if (this.#cache.size >= this.#cacheMax) this.#cache.clear();
    this.#cache.set(name, res);
    return res;
  }
}
