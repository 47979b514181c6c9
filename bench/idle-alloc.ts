/**
 * What the idle agent allocates per collection round, by site: one agent of each launcher at once (default config,
 * `--interval` collection, from `dist/`: `OUTRIDER_BUNDLE=0`), each with V8's sampling heap profiler (objects a
 * minor or major GC collected included) over `--window` seconds after its start, loaded by
 * `bench/idle-alloc-preload.ts`. Prints, per build, the bytes allocated per round in all, and the top sites: the
 * function that allocated, and the agent function nearest it on the stack (so a Buffer made inside `node:fs` counts
 * for the collector that read), and the agent files; then the builds side by side by agent file. The preload comes
 * from this tree's `dist/` for every build. Estimates: the profiler samples every `--sampling` bytes on average.
 *
 *   node dist/bench/idle-alloc.js [--bin=this/bin/outrider.js,/other/checkout/bin/outrider.js] [--window=60-120]
 *     [--interval=1s] [--sampling=256] [--top=25] [--agent-flags="--history.enabled=false"]
 *   node dist/bench/idle-alloc.js --profile=FILE.heapprofile [--rounds=60]   (a profile written before)
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args';
import { startAgent } from './footprint-procs';

const args = benchArgs();
const top = Number(args.top ?? 25);
const [from, to] = (args.window ?? '60-120').split('-').map(Number) as [number, number];
const intervalS = parseFloat(args.interval ?? '1s') * (/ms$/.test(args.interval ?? '') ? 0.001 : /m$/.test(args.interval ?? '') ? 60 : 1);

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  callFrame: Frame;
  selfSize: number;
  children: ProfileNode[];
}

/** Bytes by key for one profile: self site, nearest agent frame, agent file. */
interface Split {
  total: number;
  self: Map<string, number>;
  nearest: Map<string, number>;
  file: Map<string, number>;
}

function short(url: string): string {
  const i = url.lastIndexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const n = url.lastIndexOf('/node_modules/');
  if (n >= 0) return url.slice(n + 1);
  return url.replace(/^file:\/\//, '') || '(native)';
}

function isAgent(url: string): boolean {
  return /\/dist\/agent\//.test(url);
}

function site(f: Frame): string {
  return `${f.functionName || '(anonymous)'} ${short(f.url)}:${f.lineNumber + 1}`;
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

function split(head: ProfileNode): Split {
  const s: Split = { total: 0, self: new Map(), nearest: new Map(), file: new Map() };
  const walk = (n: ProfileNode, agentFrame: Frame | undefined): void => {
    const here = isAgent(n.callFrame.url) ? n.callFrame : agentFrame;
    if (n.selfSize > 0) {
      s.total += n.selfSize;
      add(s.self, site(n.callFrame), n.selfSize);
      add(s.nearest, here ? site(here) : `(no agent frame) ${site(n.callFrame)}`, n.selfSize);
      add(s.file, here ? short(here.url) : '(no agent frame)', n.selfSize);
    }
    for (const c of n.children) walk(c, here);
  };
  walk(head, undefined);
  return s;
}

const kib = (b: number, rounds: number): string => (b / rounds / 1024).toFixed(1);

function table(title: string, m: Map<string, number>, rounds: number, total: number): void {
  console.log(`\n${title}\n| KiB per round | share | site |\n|---:|---:|---|`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${kib(v, rounds)} | ${((100 * v) / total).toFixed(1)} % | ${k} |`);
}

function report(label: string, s: Split, rounds: number): void {
  console.log(`\n## ${label}: ${kib(s.total, rounds)} KiB allocated per round (${rounds} rounds)`);
  table('By allocating function', s.self, rounds, s.total);
  table('By the nearest agent function on the stack', s.nearest, rounds, s.total);
  table('By agent file', s.file, rounds, s.total);
}

async function waitFor(file: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no profile at ${file}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 500)); // written in one call; let it finish
}

async function main(): Promise<void> {
  if (args.profile) {
    const rounds = Number(args.rounds ?? 60);
    report(args.profile, split((JSON.parse(readFileSync(args.profile, 'utf8')) as { head: ProfileNode }).head), rounds);
    return;
  }
  const bins = (args.bin ?? join(__dirname, '..', '..', 'bin', 'outrider.js')).split(',');
  const dir = mkdtempSync(join(tmpdir(), 'idle-alloc-'));
  const preload = join(__dirname, 'idle-alloc-preload.js');
  const flags = (args['agent-flags'] ?? '').split(' ').filter(Boolean);
  const agents = await Promise.all(
    bins.map(async (bin, i) => {
      const out = join(dir, `${i}.heapprofile`);
      const env = { OUTRIDER_BUNDLE: '0', IDLE_ALLOC_OUT: out, IDLE_ALLOC_FROM: String(from), IDLE_ALLOC_TO: String(to), IDLE_ALLOC_INTERVAL: args.sampling ?? '256' };
      const s = await startAgent({ bin, env, flags, interval: args.interval, nodeFlags: ['--max-semi-space-size=2', '--require', preload] });
      return { bin, out, s };
    }),
  );
  try {
    await Promise.all(agents.map((a) => waitFor(a.out, (to + 60) * 1000)));
    const rounds = (to - from) / intervalS;
    console.log(`node ${process.version}, window ${from}-${to} s after start, ${args.interval ?? '1s'} collection, load average ${loadavg()[0]!.toFixed(1)}`);
    const splits = agents.map((a) => split((JSON.parse(readFileSync(a.out, 'utf8')) as { head: ProfileNode }).head));
    agents.forEach((a, i) => report(a.bin, splits[i]!, rounds));
    if (agents.length > 1) {
      console.log(`\n## Side by side, KiB per round by agent file\n| file | ${bins.join(' | ')} |\n|---|${bins.map(() => '---:').join('|')}|`);
      console.log(`| all | ${splits.map((s) => kib(s.total, rounds)).join(' | ')} |`);
      const files = new Map<string, number>();
      for (const s of splits) for (const [k, v] of s.file) add(files, k, v);
      for (const [k] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${k} | ${splits.map((s) => kib(s.file.get(k) ?? 0, rounds)).join(' | ')} |`);
    }
  } finally {
    await Promise.all(agents.map((a) => a.s.stop()));
    if (!('keep' in args)) rmSync(dir, { recursive: true, force: true });
    else console.log(`\nprofiles kept in ${dir}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
