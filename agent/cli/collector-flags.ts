/**
 * node_exporter's collector switches on the command line: `--collector.NAME` and `--no-collector.NAME` (optionally
 * `=true|false`) and `--collector.disable-defaults`, for units and container specs written for node_exporter.
 * They edit `collectors.enabled` / `collectors.disabled` after the file, the environment and the other flags are
 * read, with node_exporter's meaning: a switch wins over everything else; with disable-defaults only the
 * collectors switched on (or listed in an explicit `collectors.enabled`) run.
 */
import type { Config } from '../config/config';
import { agentKeys } from '../keys';

export interface CollectorSwitch {
  /** A collector name, or '' for disable-defaults. */
  name: string;
  on: boolean;
}

/**
 * The switch a flag spells, an error for a switch that names no collector, or undefined when the flag is not a
 * switch (`collector.textfile.directory` and other dotted names are ordinary flags).
 */
export function collectorSwitch(flag: string, value: string | undefined): CollectorSwitch | { error: string } | undefined {
  const m = /^(no-)?collector\.([a-z0-9_-]+)$/.exec(flag);
  if (!m) return undefined;
  const negated = m[1] !== undefined;
  const name = m[2]!;
  let on: boolean;
  if (value === undefined || value === 'true') on = true;
  else if (value === 'false') on = false;
  else return { error: `flag --${flag} takes no value other than true or false (got ${JSON.stringify(value)})` };
  if (negated) on = !on;
  if (name === 'disable-defaults') return { name: '', on };
  const known = agentKeys.get('collectors.enabled')?.values ?? [];
  if (!known.includes(name)) return { error: `flag --${flag}: no collector named ${JSON.stringify(name)} (known: ${known.join(', ')})` };
  return { name, on };
}

/** `config` with the switches applied to collectors.enabled and collectors.disabled (unchanged without switches). */
export function applyCollectorSwitches(config: Config, switches: readonly CollectorSwitch[]): Config {
  if (switches.length === 0) return config;
  const disableDefaults = switches.some((s) => s.name === '' && s.on);
  const configured = config.list('collectors.enabled');
  const enabled = disableDefaults && config.source('collectors.enabled') === 'default' ? [] : [...configured];
  const disabled = [...config.list('collectors.disabled')];
  for (const s of switches) {
    if (s.name === '') continue;
    const at = enabled.indexOf(s.name);
    if (s.on) {
      if (at < 0) enabled.push(s.name);
      const d = disabled.indexOf(s.name);
      if (d >= 0) disabled.splice(d, 1);
    } else if (at >= 0) enabled.splice(at, 1);
  }
  return config.with({ 'collectors.enabled': enabled, 'collectors.disabled': disabled });
}
