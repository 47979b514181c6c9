/**
 * Cold start of the agent, several builds alternated so each sees the same load: spawn to the first 200 of `/readyz`
 * (wall time) and the CPU time the process had used by then (utime+stime from /proc/PID/stat: on a shared machine the
 * wall time is mostly waiting for a core, the CPU time is what a start costs), beside a bare Node.js HTTP server.
 * The agent runs with its default config on loopback ports, started through the launcher (bench/footprint-procs.ts).
 *
 *   node dist/bench/cold-start.js [--runs=7] [--bin=A.js,B.js] [--rss-after=SECONDS] [--agent-flags="..."]
 *
 * `--bin` names launchers to compare (default: this tree's bin/outrider.js); a launcher may carry environment
 * variables after a `|`, separated by `;`: `--bin=bin/outrider.js,bin/outrider.js|OUTRIDER_BUNDLE=0` (the same
 * launcher on dist/). `--rss-after` also reads VmRSS that many seconds after ready (idle, unscraped).
 */
import { join } from 'node:path';
import { coldStartMs, startAgent, startBareNode, Subject } from './footprint-procs';
import { cpuTicks, statusField } from './proc-sample';
import { benchArgs } from './args';

const args = benchArgs();
const runs = Number(args.runs ?? 7);
const repo = join(__dirname, '..', '..');
const flags = (args['agent-flags'] ?? '').split(' ').filter(Boolean);
const rssAfterS = Number(args['rss-after'] ?? 0);

interface Build {
  name: string;
  bin: string;
  env: NodeJS.ProcessEnv;
}
const builds: Build[] = (args.bin ?? join(repo, 'bin', 'outrider.js')).split(',').map((spec) => {
  const [bin, envs] = spec.split('|');
  const env: NodeJS.ProcessEnv = {};
  for (const kv of (envs ?? '').split(';').filter(Boolean)) {
    const [k, ...v] = kv.split('=');
    env[k!] = v.join('=');
  }
  return { name: spec, bin: bin!, env };
});

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
}

async function once(start: () => Promise<Subject>): Promise<Sample> {
  const s = await start();
  try {
    const wallMs = await coldStartMs(s, 60_000);
    const ticks = cpuTicks(s.child.pid!);
    let rssMiB = NaN;
    if (rssAfterS > 0) {
      await new Promise((r) => setTimeout(r, rssAfterS * 1000));
      rssMiB = statusField(s.child.pid!, 'VmRSS') / 1024;
    }
    return { wallMs, cpuMs: ticks * 10, rssMiB };
  } finally {
    await s.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${runs} alternated starts per subject`);
  const subjects: Array<{ name: string; start: () => Promise<Subject> }> = [
    ...builds.map((b) => ({ name: b.name, start: () => startAgent({ bin: b.bin, flags, env: b.env }) })),
    { name: 'bare Node HTTP server', start: startBareNode },
  ];
  const samples = subjects.map(() => [] as Sample[]);
  // One throwaway start each: Node's compile cache and the page cache are warm for every measured start.
  for (const s of subjects) await once(s.start);
  for (let i = 0; i < runs; i++) for (const [j, s] of subjects.entries()) samples[j]!.push(await once(s.start));
  const rssHead = rssAfterS > 0 ? ` RSS ${rssAfterS} s after ready MiB, median |` : '';
  console.log(`| subject | wall to /readyz ms, median | CPU at ready ms, median |${rssHead} wall, each | CPU, each |`);
  console.log(`|---|---:|---:|${rssAfterS > 0 ? '---:|' : ''}---|---|`);
  for (const [j, s] of subjects.entries()) {
    const xs = samples[j]!;
    const w = xs.map((x) => x.wallMs);
    const c = xs.map((x) => x.cpuMs);
    const rss = rssAfterS > 0 ? ` ${median(xs.map((x) => x.rssMiB)).toFixed(1)} |` : '';
    console.log(`| ${s.name} | ${median(w).toFixed(0)} | ${median(c).toFixed(0)} |${rss} ${w.map((x) => x.toFixed(0)).join(', ')} | ${c.join(', ')} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
