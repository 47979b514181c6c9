/**
 * Idle CPU and RSS of two builds side by side: `--copies` agents of each launcher running at once (so both builds see
 * the same load on a shared machine), default config, 1 s collection, scraped every 5 s, sampled over `--seconds`
 * after a `--settle` (8 s; a few minutes to read the agents after V8's optimizing compiler has taken their hot
 * functions). For a before / after where a sequential run would be swamped by the machine's load.
 *
 *   node dist/bench/footprint-ab.js --bin=/other/checkout/bin/outrider.js [--copies=3] [--seconds=40] [--settle=8]
 *     [--agent-flags="--history.enabled=false"]   (both builds)
 */
import { join } from 'node:path';
import { coldStartMs, sampleIdle, startAgent, Subject } from './footprint-procs';
import { benchArgs } from './args';

const args = benchArgs();
const other = args.bin;
const copies = Number(args.copies ?? 3);
const seconds = Number(args.seconds ?? 40);
const settleS = Number(args.settle ?? 8);
const flags = (args['agent-flags'] ?? '').split(' ').filter(Boolean);
const builds = [
  { label: 'other', bin: other },
  { label: 'this', bin: join(__dirname, '..', '..', 'bin', 'outrider.js') },
];

async function main(): Promise<void> {
  if (!other) throw new Error('--bin=PATH (the other build’s bin/outrider.js) is required');
  const subjects: Array<{ label: string; s: Subject }> = [];
  try {
    for (let i = 0; i < copies; i++) for (const b of builds) subjects.push({ label: b.label, s: await startAgent({ bin: b.bin, flags }) });
    for (const { s } of subjects) if (!Number.isFinite(await coldStartMs(s))) throw new Error(`${s.name} did not become ready`);
    const idle = await sampleIdle(
      subjects.map((x) => x.s),
      seconds,
      5,
      settleS * 1000,
    );
    console.log(`node ${process.version}, ${copies} copies of each build at once, ${seconds} s window after ${settleS} s, other = ${other}`);
    console.log('| build | CPU % of a core | RSS median MiB |');
    console.log('|---|---|---|');
    for (const b of builds) {
      const mine = idle.filter((_, i) => subjects[i]!.label === b.label);
      const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
      const cpu = mine.map((x) => x.cpuPercent);
      const rss = mine.map((x) => x.rssMedianMiB);
      console.log(`| ${b.label} | ${cpu.map((x) => x.toFixed(2)).join(', ')} (mean ${mean(cpu).toFixed(2)}) | ${rss.map((x) => x.toFixed(1)).join(', ')} (mean ${mean(rss).toFixed(1)}) |`);
    }
  } finally {
    for (const { s } of subjects) await s.stop();
  }
}

void main();
