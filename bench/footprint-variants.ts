/**
 * Idle RSS and CPU of the agent under several launch variants at once (environment, V8 flags, agent flags): every
 * variant's copies run side by side, so they see the same load on a shared machine. Default config, 1 s collection,
 * scraped every 5 s, sampled over `--seconds` after `--settle` seconds. RSS is split into anonymous and file-backed
 * pages (/proc/PID/status RssAnon, RssFile), medians over the window.
 *
 *   node dist/bench/footprint-variants.js [--copies=2] [--seconds=40] [--settle=8] \
 *     'launcher||' 'arena2|MALLOC_ARENA_MAX=2|' 'size|MALLOC_ARENA_MAX=2|--max-semi-space-size=2 --optimize-for-size'
 *
 * A variant is `label|ENV=V ENV2=V2|node flags[|agent flags]`. Without node flags it starts the launcher
 * (bin/outrider.js run as a program, its launch line's flags apply); with them it starts `node FLAGS bin/outrider.js`,
 * where the launch line does not apply, so repeat `--max-semi-space-size=2`. Node is this process's (put another
 * first: `/path/to/node dist/bench/footprint-variants.js ...`).
 */
import { coldStartMs, sampleIdle, startAgent, Subject } from './footprint-procs';
import { statusField } from './proc-sample';

interface Variant {
  label: string;
  env: Record<string, string>;
  nodeFlags: string[];
  agentFlags: string[];
}

const opts: Record<string, string> = {};
const variants: Variant[] = [];
for (const a of process.argv.slice(2)) {
  if (a.startsWith('--')) {
    const [k, ...v] = a.slice(2).split('=');
    opts[k!] = v.join('=');
    continue;
  }
  const [label, env = '', nodeFlags = '', agentFlags = ''] = a.split('|');
  const words = (s: string): string[] => s.split(' ').filter(Boolean);
  variants.push({
    label: label!,
    env: Object.fromEntries(words(env).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    nodeFlags: words(nodeFlags),
    agentFlags: words(agentFlags),
  });
}
const copies = Number(opts.copies ?? 2);
const seconds = Number(opts.seconds ?? 40);
const settle = Number(opts.settle ?? 8);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;

async function main(): Promise<void> {
  if (variants.length === 0) throw new Error("give at least one variant: 'label|ENV=V|node flags'");
  const subjects: Array<{ v: Variant; s: Subject; ready: number }> = [];
  try {
    for (let i = 0; i < copies; i++)
      for (const v of variants) {
        const s = await startAgent({ flags: v.agentFlags, env: v.env, ...(v.nodeFlags.length ? { nodeFlags: v.nodeFlags } : {}) });
        subjects.push({ v, s, ready: NaN });
      }
    for (const x of subjects) {
      x.ready = await coldStartMs(x.s);
      if (!Number.isFinite(x.ready)) throw new Error(`${x.v.label} did not become ready`);
    }
    // Anonymous and file-backed pages sampled alongside the idle window's VmRSS.
    const split = subjects.map(() => ({ anon: [] as number[], file: [] as number[] }));
    const timer = setInterval(() => {
      subjects.forEach((x, i) => {
        if (x.s.child.exitCode !== null || x.s.child.signalCode !== null) throw new Error(`${x.v.label} exited (${x.s.child.exitCode ?? x.s.child.signalCode}) during the window`);
        split[i]!.anon.push(statusField(x.s.child.pid!, 'RssAnon') / 1024);
        split[i]!.file.push(statusField(x.s.child.pid!, 'RssFile') / 1024);
      });
    }, 1000);
    const idle = await sampleIdle(
      subjects.map((x) => x.s),
      seconds,
      5,
      settle * 1000,
    );
    clearInterval(timer);
    console.log(`node ${process.version}, ${copies} copies of each variant at once, ${seconds} s window after ${settle} s`);
    console.log('| variant | CPU % of a core | RSS median MiB | anon MiB | file MiB |');
    console.log('|---|---|---|---|---|');
    for (const v of variants) {
      const mine = subjects.map((x, i) => ({ x, i })).filter(({ x }) => x.v === v);
      const cpu = mine.map(({ i }) => idle[i]!.cpuPercent);
      const rss = mine.map(({ i }) => idle[i]!.rssMedianMiB);
      const anon = mine.map(({ i }) => median(split[i]!.anon));
      const file = mine.map(({ i }) => median(split[i]!.file));
      const f = (xs: number[], d: number): string => `${xs.map((x) => x.toFixed(d)).join(', ')} (mean ${mean(xs).toFixed(d)})`;
      console.log(`| ${v.label} | ${f(cpu, 2)} | ${f(rss, 1)} | ${mean(anon).toFixed(1)} | ${mean(file).toFixed(1)} |`);
    }
  } finally {
    for (const { s } of subjects) await s.stop();
  }
}

void main();
