/**
 * Garbage collections per minute of idle agents, two or more builds at once: `--copies` agents of each launcher,
 * default config at `--interval`, their own `nodejs_gc_duration_seconds` (count and sum by kind) read from /metrics at
 * the start and the end of the window (seconds after ready). The scrapes are the same for every build.
 *
 *   node dist/bench/footprint-gc.js [--copies=2] [--interval=1s] [--window=60-240] --bin=this/bin/outrider.js,/other/checkout/bin/outrider.js
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startAgent, type Subject } from './footprint-procs';
import { benchArgs } from './args';

const opts = benchArgs();
const copies = Number(opts.copies ?? 2);
const [from, to] = (opts.window ?? '60-240').split('-').map(Number) as [number, number];
const bins = (opts.bin ?? join(__dirname, '..', '..', 'bin', 'outrider.js')).split(',');

type Gc = Map<string, { count: number; sum: number }>;

async function gcOf(url: string): Promise<Gc> {
  const text = await (await fetch(url)).text();
  const out: Gc = new Map();
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(count|sum)\{kind="(\w+)"\} (\S+)$/gm)) {
    const e = out.get(m[2]!) ?? { count: 0, sum: 0 };
    e[m[1] as 'count' | 'sum'] = Number(m[3]);
    out.set(m[2]!, e);
  }
  return out;
}

async function ready(s: Subject): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(s.readyUrl)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${s.readyUrl} never became ready`);
}

async function main(): Promise<void> {
  const agents: Array<{ bin: string; s: Subject }> = [];
  for (let c = 0; c < copies; c++) for (const bin of bins) agents.push({ bin, s: await startAgent({ bin, interval: opts.interval ?? '1s' }) });
  try {
    await Promise.all(agents.map((a) => ready(a.s)));
    await new Promise((r) => setTimeout(r, from * 1000));
    const before = await Promise.all(agents.map((a) => gcOf(a.s.url)));
    await new Promise((r) => setTimeout(r, (to - from) * 1000));
    const after = await Promise.all(agents.map((a) => gcOf(a.s.url)));
    const minutes = (to - from) / 60;
    console.log(`window ${from}-${to} s after ready; node ${process.version}; ${copies} copies of each at once, ${opts.interval ?? '1s'} collection; load average ${loadavg()[0]!.toFixed(1)}`);
    console.log('| launcher | GCs per minute by kind (each copy) | GC ms per minute (each copy) |');
    console.log('|---|---|---|');
    for (const bin of bins) {
      const per: string[] = [];
      const ms: string[] = [];
      agents.forEach((a, i) => {
        if (a.bin !== bin) return;
        const kinds = [...after[i]!].map(([k, e]) => [k, (e.count - (before[i]!.get(k)?.count ?? 0)) / minutes, (e.sum - (before[i]!.get(k)?.sum ?? 0)) / minutes] as const);
        per.push(kinds.map(([k, n]) => `${k} ${n.toFixed(1)}`).join(', '));
        ms.push((kinds.reduce((t, [, , s]) => t + s, 0) * 1000).toFixed(1));
      });
      console.log(`| ${bin} | ${per.join('; ')} | ${ms.join(', ')} |`);
    }
  } finally {
    await Promise.all(agents.map((a) => a.s.stop()));
  }
}

void main();
