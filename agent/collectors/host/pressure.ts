/**
 * pressure: /proc/pressure/{cpu,io,memory,irq} (PSI, kernel 4.20+) → node_pressure_<resource>_{waiting,stalled}
 * _seconds_total from the cumulative `total=` microseconds of the `some` (waiting) and `full` (stalled) lines.
 * A kernel without PSI (or booted with psi=0) has no such files: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fieldsInto, Issues, lines, num, plainInt, quote, readText } from './text';

export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Cumulative stall time in seconds. */
  totalSeconds: number;
}

export interface Psi {
  some?: PsiLine;
  full?: PsiLine;
}

const scratch: string[] = [];
const psiKeys = ['avg10=', 'avg60=', 'avg300=', 'total='] as const;

export function parsePressure(text: string, issues: Issues = []): Psi {
  const out: Psi = {};
  const vals: Array<number | undefined> = [undefined, undefined, undefined, undefined];
  for (const line of lines(text)) {
    const f = fieldsInto(line, scratch);
    const kind = f[0];
    if (kind !== 'some' && kind !== 'full') {
      issues.push(`line ${quote(line)} is neither "some" nor "full"`);
      continue;
    }
    // "key=value" pairs, the last of a key winning; a value ends at its first '=' after the key's.
    vals.fill(undefined);
    for (let i = 1; i < f.length; i++) {
      const p = f[i]!;
      for (let k = 0; k < psiKeys.length; k++) {
        const key = psiKeys[k]!;
        if (!p.startsWith(key)) continue;
        const eq = p.indexOf('=', key.length);
        const start = key.length;
        const end = eq < 0 ? p.length : eq;
        const v = plainInt(p, start, end);
        vals[k] = v !== undefined ? v : num(p.slice(start, end));
        break;
      }
      // A key without '=' has no value: it overrides one before it.
      if (p.indexOf('=') < 0) for (let k = 0; k < psiKeys.length; k++) if (p.length === psiKeys[k]!.length - 1 && psiKeys[k]!.startsWith(p)) vals[k] = undefined;
    }
    if (vals[0] === undefined || vals[1] === undefined || vals[2] === undefined || vals[3] === undefined) {
      issues.push(`line ${quote(line)} lacks avg10/avg60/avg300/total`);
      continue;
    }
    out[kind] = { avg10: vals[0]!, avg60: vals[1]!, avg300: vals[2]!, totalSeconds: vals[3]! / 1e6 };
  }
  return out;
}

const resources: Array<{ res: string; some?: string; full?: string }> = [
  { res: 'cpu', some: 'Total time in seconds that processes have waited for CPU time', full: 'Total time in seconds no process could make progress' },
  { res: 'io', some: 'Total time in seconds that processes have waited due to IO congestion', full: 'Total time in seconds no process could make progress due to IO congestion' },
  { res: 'memory', some: 'Total time in seconds that processes have waited for memory', full: 'Total time in seconds no process could make progress due to memory congestion' },
  { res: 'irq', full: 'Total time in seconds no process could make progress due to IRQ congestion' },
];

/** Families for a PSI source (host or cgroup): `<prefix>_<res>_{waiting,stalled}_seconds_total`. */
export function pressureFamilies(prefix: string, res: string, psi: Psi, labels: Record<string, string> = {}): FamilySamples[] {
  const r = resources.find((x) => x.res === res);
  const out: FamilySamples[] = [];
  if (psi.some && r?.some) out.push(family(`${prefix}_${res}_waiting_seconds_total`, r.some, 'counter', [{ labels, value: psi.some.totalSeconds }]));
  if (psi.full && r?.full) out.push(family(`${prefix}_${res}_stalled_seconds_total`, r.full, 'counter', [{ labels, value: psi.full.totalSeconds }]));
  return out;
}

/** A PSI file; missing, or present but refusing reads (EOPNOTSUPP when the kernel runs with psi=0), is undefined. */
export async function readPsi(path: string): Promise<string | undefined> {
  try {
    return await readText(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EOPNOTSUPP') return undefined;
    throw err;
  }
}

export function pressureCollector(): Collector {
  return {
    name: 'pressure',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const out: FamilySamples[] = [];
      let found = 0;
      for (const { res } of resources) {
        const text = await readPsi(join(ctx.paths.procfs, 'pressure', res));
        if (text === undefined) continue;
        found++;
        out.push(...pressureFamilies('node_pressure', res, parsePressure(text, ctx.issues)));
      }
      if (found === 0) throw new NoDataError('no /proc/pressure (kernel without PSI)');
      return out;
    },
  };
}
