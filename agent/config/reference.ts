/**
 * Renders the annotated default configuration (config/outrider.yaml) from the schema, so the file can never drift
 * from the built-in defaults: every key, its help sentence, its env/flag spellings and its default.
 */
import { stringify } from 'yaml';
import { envName, flagName, KeyDef, KeySet } from './schema';
import { formatDuration, formatSize } from './units';

function yamlValue(def: KeyDef): unknown {
  const v = def.default;
  if (def.type === 'duration' && typeof v === 'number') return formatDuration(v);
  if (def.type === 'size' && typeof v === 'number') return formatSize(v);
  return v;
}

function scalarText(v: unknown): string {
  return stringify(v, { lineWidth: 0, collectionStyle: 'flow' }).trimEnd();
}

export function referenceYaml(keys: KeySet): string {
  const lines: string[] = [
    '# Outrider configuration: every key with its default.',
    '#',
    '# This file is generated from the built-in schema (npm run gen:config) and equals the embedded defaults, so',
    '# the agent runs the same with or without it. Copy what you change into your own file; unknown keys are errors.',
    '# Each key is also an environment variable and a flag: statsd.flush_interval is OUTRIDER_STATSD_FLUSH_INTERVAL',
    '# and --statsd.flush-interval. Precedence: defaults < this file < environment < flags.',
    '# Durations read like 500ms, 10s, 1m30s; sizes like 8KiB, 64MiB, 1GiB.',
    '',
  ];
  const printed: string[] = [];
  for (const def of keys.all()) {
    const parts = def.key.split('.');
    // Open the sections this key needs that the previous key did not.
    let common = 0;
    while (common < parts.length - 1 && common < printed.length && printed[common] === parts[common]) common++;
    printed.length = common;
    if (common === 0 && lines[lines.length - 1] !== '') lines.push('');
    for (let i = common; i < parts.length - 1; i++) {
      lines.push(`${'  '.repeat(i)}${parts[i]}:`);
      printed.push(parts[i]!);
    }
    const indent = '  '.repeat(parts.length - 1);
    const cmds = def.commands && !(def.commands.length === 1 && def.commands[0] === 'agent') ? ` Read by: ${def.commands.join(', ')}.` : '';
    lines.push(`${indent}# ${def.help}${cmds}`);
    lines.push(`${indent}# env ${envName(def.key)}, flag --${flagName(def.key)}${def.type === 'enum' ? `; one of ${def.values!.join(', ')}` : ''}`);
    const value = yamlValue(def);
    const text = scalarText(value);
    const name = parts[parts.length - 1];
    if (text.includes('\n')) {
      lines.push(`${indent}${name}:`);
      for (const l of text.split('\n')) lines.push(`${indent}  ${l}`);
    } else {
      lines.push(`${indent}${name}: ${text}`);
    }
  }
  return lines.join('\n') + '\n';
}
