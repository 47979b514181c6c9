import { envName, flagName, KeyDef } from '../config/schema';
import { agentKeys } from '../keys';
import { formatDuration, formatSize } from '../config/units';

export function formatDefault(def: KeyDef): string {
  const v = def.default;
  if (def.type === 'duration' && typeof v === 'number') return formatDuration(v);
  if (def.type === 'size' && typeof v === 'number') return formatSize(v);
  if (Array.isArray(v)) return v.length ? v.join(',') : '(none)';
  if (v !== null && typeof v === 'object') return Object.keys(v).length ? JSON.stringify(v) : '(none)';
  if (v === '') return '(none)';
  return String(v);
}

/** Flag reference for a command: the common flags first, then every other key it reads. */
export function flagHelp(command: string, all: boolean): string {
  const defs = agentKeys.all().filter((d) => (d.commands ?? ['agent']).includes(command));
  const pick = all ? defs : defs.filter((d) => d.common);
  const lines: string[] = [];
  for (const d of pick) {
    const arg = d.type === 'bool' ? '' : `=${d.type === 'list' ? (d.item ?? 'value').toUpperCase() : d.type === 'enum' ? d.values!.join('|') : d.type.toUpperCase()}`;
    const aliases = (d.flagAliases ?? []).map((a) => `, --${a}`).join('');
    lines.push(`  --${flagName(d.key)}${arg}${aliases}`);
    lines.push(`      ${d.help} Default: ${formatDefault(d)}. Env: ${envName(d.key)}.${d.type === 'list' ? ' Repeatable.' : ''}`);
  }
  return lines.join('\n');
}
