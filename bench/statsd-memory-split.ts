/**
 * Where the StatsD rows' RSS goes: the agent started as bench/footprint-statsd.ts starts it, with
 * bench/statsd-heap-probe.ts loaded into it, takes N series at 2 M lines/s asked for 6 s; the anonymous RSS
 * (`/proc/PID/smaps_rollup`) and the V8 heap (committed and used, old space, large objects) are read when idle, at
 * the RSS peak, 1.5 s after the load (after the flush) and after a forced full GC. "outside V8" is anonymous RSS
 * minus the V8 heap committed: the addon's aggregator, ring and receive blocks, malloc arenas. MiB over idle.
 *
 *   node dist/bench/statsd-memory-split.js [--series=10000,100000] [--bin=/a/bin/outrider.js,/b/bin/outrider.js] [--agent-flags="--history.enabled=false"]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSender } from './footprint-statsd';
import { coldStartMs, startAgent } from './footprint-procs';

interface Probe {
  t: number;
  heapTotal: number;
  heapUsed: number;
  spaces: Record<string, [number, number]>;
}

const mib = (b: number): number => +(b / 1048576).toFixed(1);

function anonKiB(pid: number): number {
  const m = /^Anonymous:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function one(bin: string | undefined, series: number, sender: string, flags: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'statsd-split-'));
  const file = join(dir, 'probe.jsonl');
  const probe = join(__dirname, 'statsd-heap-probe.js');
  const agent = await startAgent({ bin, flags: ['--statsd.flush_interval=1s', ...flags], env: { NODE_OPTIONS: `--expose-gc --require ${probe}`, STATSD_HEAP_PROBE: file } });
  const pid = agent.child.pid!;
  const marks: Array<{ tag: string; t: number; anon: number }> = [];
  try {
    await coldStartMs(agent);
    await new Promise((r) => setTimeout(r, 3000));
    marks.push({ tag: 'idle', t: Date.now(), anon: anonKiB(pid) });
    let peak = { tag: 'peak', t: Date.now(), anon: 0 };
    const sampler = setInterval(() => {
      const a = anonKiB(pid);
      if (a > peak.anon) peak = { tag: 'peak', t: Date.now(), anon: a };
    }, 150);
    await new Promise<void>((resolve, reject) => execFile(sender, ['127.0.0.1', String(agent.statsdPort), '2000000', '6', 'multi', String(series)], (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(sampler);
    marks.push(peak, { tag: 'after', t: Date.now(), anon: anonKiB(pid) });
    writeFileSync(`${file}.gc`, '');
    await new Promise((r) => setTimeout(r, 1000));
    marks.push({ tag: 'after_gc', t: Date.now(), anon: anonKiB(pid) });
  } finally {
    await agent.stop();
  }
  const probes = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Probe);
  rmSync(dir, { recursive: true, force: true });
  const at = (t: number): Probe => probes.reduce((b, p) => (Math.abs(p.t - t) < Math.abs(b.t - t) ? p : b));
  const idle = at(marks[0]!.t);
  const idleOutside = marks[0]!.anon * 1024 - idle.heapTotal;
  for (const m of marks) {
    const p = at(m.t);
    const [oldSize, oldUsed] = p.spaces.old ?? [0, 0];
    const [loSize] = p.spaces.large_object ?? [0, 0];
    console.log(
      JSON.stringify({
        ...(bin ? { bin } : {}),
        series,
        at: m.tag,
        anon_mib: mib(m.anon * 1024),
        v8_committed: mib(p.heapTotal - (m.tag === 'idle' ? 0 : idle.heapTotal)),
        v8_used: mib(p.heapUsed - (m.tag === 'idle' ? 0 : idle.heapUsed)),
        old_committed: mib(oldSize - (m.tag === 'idle' ? 0 : (idle.spaces.old?.[0] ?? 0))),
        old_used: mib(oldUsed - (m.tag === 'idle' ? 0 : (idle.spaces.old?.[1] ?? 0))),
        large_object: mib(loSize - (m.tag === 'idle' ? 0 : (idle.spaces.large_object?.[0] ?? 0))),
        outside_v8: mib(m.anon * 1024 - p.heapTotal - (m.tag === 'idle' ? 0 : idleOutside)),
      }),
    );
  }
}

async function main(): Promise<void> {
  const arg = (name: string, def: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
  const seriesList = arg('series', '10000,100000').split(',').map(Number);
  const bins = arg('bin', '')
    .split(',')
    .filter((b) => b !== '');
  const flags = arg('agent-flags', '')
    .split(' ')
    .filter((f) => f !== '');
  const sender = buildSender();
  if (!sender) throw new Error('no C compiler: cannot build bench/statsd-sender.c');
  console.log(`node ${process.version}, 2 M lines/s asked for 6 s, statsd.flush_interval 1s; idle row absolute, the others MiB over idle`);
  for (const series of seriesList) for (const bin of bins.length > 0 ? bins : [undefined]) await one(bin, series, sender, flags);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
