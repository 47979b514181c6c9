/**
 * Where an idle agent's CPU goes, thread by thread, and how it changes with the agent's age: `--copies` agents of
 * each configuration running at once (so all see the same load), default config, scraped every 5 s; for each window
 * (seconds after the agent is ready) the CPU of the main thread and of all other threads together (V8's platform
 * workers: optimizing compiler and GC; the addon's threads), the voluntary context switches (wake-ups) per second,
 * and the RSS median. Read from /proc/PID/task/TID/{stat,status}.
 *
 *   node dist/bench/footprint-threads.js [--copies=2] [--windows=10-70,420-540] \
 *     'this 1s|1s' 'other 1s|1s||/other/checkout/bin/outrider.js' 'flags 5s|5s|--max-semi-space-size=2 --single-threaded-gc'
 *
 * A configuration is `label|interval|node flags|launcher|agent flags`: with node flags the agent runs as
 * `node FLAGS launcher` (the launch line's own flags then do not apply, so repeat `--max-semi-space-size=2`); the
 * launcher defaults to this tree's bin/outrider.js; agent flags (e.g. `--history.enabled=false`) are added to its
 * command line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { coldStartMs, startAgent, type Subject } from './footprint-procs';
import { statusField } from './proc-sample';

const hz = 100; // USER_HZ on Linux
const opts: Record<string, string> = {};
const configs: string[] = [];
for (const a of process.argv.slice(2)) {
  if (a.startsWith('--')) {
    const [k, ...v] = a.slice(2).split('=');
    opts[k!] = v.join('=');
  } else configs.push(a);
}
const copies = Number(opts.copies ?? 2);
const windows = (opts.windows ?? '10-70').split(',').map((w) => w.split('-').map(Number) as [number, number]);

interface Thread {
  ticks: number;
  wakeups: number;
}

/** Per thread, in thread-id order (the main thread first): CPU ticks and voluntary context switches. */
function threads(pid: number): Map<number, Thread> {
  const out = new Map<number, Thread>();
  for (const tid of readdirSync(`/proc/${pid}/task`)
    .map(Number)
    .sort((a, b) => a - b)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      out.set(tid, { ticks: Number(f[11]) + Number(f[12]), wakeups: Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0) });
    } catch {
      /* the thread ended between the listing and the read */
    }
  }
  return out;
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

async function main(): Promise<void> {
  if (configs.length === 0) throw new Error("give at least one configuration, 'label|interval|node flags|launcher|agent flags'");
  const subjects: Array<{ label: string; s: Subject }> = [];
  try {
    for (let c = 0; c < copies; c++)
      for (const cfg of configs) {
        const [label, interval, nodeFlags, bin, agentFlags] = cfg.split('|');
        const flags = (nodeFlags ?? '').split(' ').filter(Boolean);
        subjects.push({
          label: label!,
          s: await startAgent({ interval: interval || '1s', bin: bin || undefined, nodeFlags: flags.length ? flags : undefined, flags: (agentFlags ?? '').split(' ').filter(Boolean) }),
        });
      }
    for (const { s } of subjects) if (!Number.isFinite(await coldStartMs(s))) throw new Error(`${s.name} did not become ready`);
    const t0 = Date.now();
    const scrape = setInterval(() => {
      for (const { s } of subjects)
        void fetch(s.url).then(
          (r) => r.arrayBuffer(),
          () => undefined,
        );
    }, 5000);
    const rss: number[][] = subjects.map(() => []);
    const rssTimer = setInterval(() => subjects.forEach(({ s }, i) => rss[i]!.push(statusField(s.child.pid!, 'VmRSS') / 1024)), 1000);
    try {
      for (const [from, to] of windows) {
        await sleepUntil(t0 + from * 1000);
        const before = subjects.map(({ s }) => threads(s.child.pid!));
        const w0 = Date.now();
        for (const r of rss) r.length = 0;
        await sleepUntil(t0 + to * 1000);
        const after = subjects.map(({ s }) => threads(s.child.pid!));
        const wall = (Date.now() - w0) / 1000;
        const rows = new Map<string, Array<{ total: number; main: number; wakeups: number; rss: number }>>();
        subjects.forEach(({ label }, i) => {
          let total = 0;
          let main = 0;
          let wakeups = 0;
          let first = true;
          for (const [tid, x] of after[i]!) {
            const b = before[i]!.get(tid) ?? { ticks: 0, wakeups: 0 };
            const cpu = ((x.ticks - b.ticks) / hz / wall) * 100;
            if (first) main = cpu;
            first = false;
            total += cpu;
            wakeups += (x.wakeups - b.wakeups) / wall;
          }
          const sorted = [...rss[i]!].sort((a, b) => a - b);
          if (!rows.has(label)) rows.set(label, []);
          rows.get(label)!.push({ total, main, wakeups, rss: sorted[sorted.length >> 1]! });
        });
        console.log(`\nwindow ${from}-${to} s after ready; node ${process.version}; ${copies} copies of each at once; load average ${loadavg()[0]!.toFixed(1)}`);
        console.log('| configuration | CPU % of a core | mean | main thread | other threads | wake-ups/s | RSS median MiB |');
        console.log('|---|---|---:|---:|---:|---:|---:|');
        for (const [label, rs] of rows) {
          const m = (k: 'total' | 'main' | 'wakeups' | 'rss') => mean(rs.map((r) => r[k]));
          console.log(
            `| ${label} | ${rs.map((r) => r.total.toFixed(2)).join(', ')} | ${m('total').toFixed(2)} | ${m('main').toFixed(2)} | ${(m('total') - m('main')).toFixed(2)} | ${m('wakeups').toFixed(0)} | ${m('rss').toFixed(1)} |`,
          );
        }
      }
    } finally {
      clearInterval(scrape);
      clearInterval(rssTimer);
    }
  } finally {
    for (const { s } of subjects) await s.stop();
  }
}

void main();
