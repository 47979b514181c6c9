/**
 * vmstat: /proc/vmstat → node_vmstat_<field> for the fields matching `collectors.vmstat.fields` (node_exporter's
 * default: oom_kill, pgpg*, pswp*, pg*fault*). Untyped, as node_exporter exposes them.
 */
import { join } from 'node:path';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, Issues, lines, num, quote, readTextRequired } from './text';
import { hostOptions } from './options';

export function parseVmstat(text: string, issues: Issues = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const f = fields(line);
    const v = num(f[1]);
    if (f.length !== 2 || v === undefined || !/^[a-zA-Z0-9_]+$/.test(f[0]!)) {
      issues.push(`line ${quote(line)} is not "name value"`);
      continue;
    }
    out.set(f[0]!, v);
  }
  return out;
}

export function vmstatCollector(): Collector {
  return {
    name: 'vmstat',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const m = parseVmstat(await readTextRequired(join(ctx.paths.procfs, 'vmstat')), ctx.issues);
      const re = hostOptions(ctx.config).vmstat.fields;
      const out: FamilySamples[] = [];
      for (const [name, v] of m) {
        if (re && re.test(name)) out.push(family(`node_vmstat_${name}`, `/proc/vmstat information field ${name}.`, 'untyped', [{ labels: {}, value: v }]));
      }
      return out;
    },
  };
}
