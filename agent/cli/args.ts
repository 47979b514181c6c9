/**
 * Command-line parsing. Config keys are flags by one rule (`statsd.flush_interval` → `--statsd.flush-interval`);
 * a few flags belong to the command itself (`--help`, `--config`, `--version`). Values come as `--flag=value` or
 * `--flag value`; boolean keys also take a bare `--flag`; list keys may repeat.
 */
import { agentKeys } from '../keys';
import { CollectorSwitch, collectorSwitch } from './collector-flags';

export interface ParsedArgs {
  positionals: string[];
  /** Config flags: name as written (without dashes) → values. */
  flags: Map<string, string[]>;
  /** Command flags (help, config, version, and those a command declares). */
  own: Map<string, string[]>;
  /** node_exporter's `--[no-]collector.NAME` and `--collector.disable-defaults`, in order (collector-flags.ts). */
  collectors: CollectorSwitch[];
  errors: string[];
}

/**
 * @param ownFlags flags the command handles itself, mapped to whether they take a value.
 */
export function parseArgs(argv: readonly string[], ownFlags: Record<string, boolean> = {}): ParsedArgs {
  const own: Record<string, boolean> = { help: false, h: false, version: false, config: true, ...ownFlags };
  const out: ParsedArgs = { positionals: [], flags: new Map(), own: new Map(), collectors: [], errors: [] };
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (name in own) {
      if (own[name]) {
        if (value === undefined) {
          value = argv[i + 1];
          if (value === undefined || value.startsWith('--')) {
            out.errors.push(`flag --${name} needs a value`);
            continue;
          }
          i++;
        }
      } else if (value === undefined) value = 'true';
      push(out.own, name, value);
      continue;
    }
    const sw = collectorSwitch(name, value);
    if (sw !== undefined) {
      if ('error' in sw) out.errors.push(sw.error);
      else out.collectors.push(sw);
      continue;
    }
    const key = agentKeys.flagToKey(name);
    const def = key ? agentKeys.get(key) : undefined;
    if (value === undefined) {
      if (def?.type === 'bool') value = 'true';
      else if (name.startsWith('no-') && agentKeys.get(agentKeys.flagToKey(name.slice(3)) ?? '')?.type === 'bool') {
        push(out.flags, name.slice(3), 'false');
        continue;
      } else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          if (def) {
            out.errors.push(`flag --${name} needs a value`);
            continue;
          }
          value = '';
        } else {
          value = next;
          i++;
        }
      }
    }
    push(out.flags, name, value);
  }
  return out;
}
