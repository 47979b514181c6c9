/**
 * The agent's RSS while StatsD lines for N distinct series arrive at a target rate: bench/statsd-sender.c (compiled
 * here with `cc`, ~1400-byte datagrams, loopback only, bounded in time) drives a running agent, and the peak of
 * VmRSS sampled every 100 ms is reported with the rate the sender achieved. bench/footprint.ts uses it for the
 * Footprint table's StatsD rows; run alone it measures only those rows, for one or more builds alternated (the same
 * start, flags and load as footprint.js). Each row also prints the lines sent, the lines the agent counted and the
 * lines it dropped because an interval was full (the 100k row sends more keys than the default bounds take) and the
 * datagrams the kernel dropped at its socket; received + interval_overflow = sent when nothing was lost:
 *
 *   node dist/bench/footprint-statsd.js [--series=10000,100000] [--rounds=1] [--seconds=6] [--bin=/a/bin/outrider.js,/b/bin/outrider.js]
 */
import { execFile } from 'node:child_process';
import { buildC } from './build-c';
import { statusField } from './proc-sample';
import { coldStartMs, startAgent, startBareNode, type Subject } from './footprint-procs';

/** The compiled sender's path, or undefined when there is no C compiler. */
export function buildSender(): string | undefined {
  return buildC('statsd-sender');
}

export interface StatsdLoad {
  series: number;
  achievedLinesPerSec: number;
  peakRssMiB: number;
  /** Lines the sender sent. */
  sentLines: number;
  /** Lines the agent counted (outrider_statsd_lines_total); NaN when /metrics did not answer. */
  receivedLines: number;
  /** Aggregates dropped because an interval held the most keys it may (outrider_statsd_dropped_samples_total). */
  intervalOverflow: number;
  /** Datagrams the kernel dropped at the agent's sockets (outrider_statsd_kernel_drops_total). */
  kernelDrops: number;
}

/** The sum of a metric's samples in a Prometheus text body whose line starts with `name` and matches `filter`. */
function metricSum(body: string, name: string, filter = ''): number {
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{') || !line.includes(filter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function statsdLoad(agent: Subject & { statsdPort: number }, sender: string, series: number, rate: number, seconds: number): Promise<StatsdLoad> {
  const pid = agent.child.pid!;
  let peak = statusField(pid, 'VmRSS');
  const sampler = setInterval(() => (peak = Math.max(peak, statusField(pid, 'VmRSS'))), 100);
  try {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(sender, ['127.0.0.1', String(agent.statsdPort), String(rate), String(seconds), 'multi', String(series)], { encoding: 'utf8' }, (err, o) => (err ? reject(err) : resolve(o))),
    );
    const s = JSON.parse(out) as { lines: number; seconds: number };
    // The agent's next flush (statsd.flush_interval) turns the new series into store series: keep sampling past it.
    await new Promise((r) => setTimeout(r, 1500));
    const peakRssMiB = Math.max(peak, statusField(pid, 'VmRSS')) / 1024;
    // The counts of the last interval reach /metrics at the flush after it: read until two reads a flush apart agree.
    let body = '';
    for (let k = 0, last = ''; k < 6; k++) {
      body = await fetch(agent.url).then(
        (r) => r.text(),
        () => '',
      );
      const now = `${metricSum(body, 'outrider_statsd_lines_total')} ${metricSum(body, 'outrider_statsd_dropped_samples_total')}`;
      if (now === last) break;
      last = now;
      await new Promise((r) => setTimeout(r, 1100));
    }
    return {
      series,
      achievedLinesPerSec: s.lines / s.seconds,
      peakRssMiB,
      sentLines: s.lines,
      receivedLines: body === '' ? NaN : metricSum(body, 'outrider_statsd_lines_total'),
      intervalOverflow: metricSum(body, 'outrider_statsd_dropped_samples_total', 'interval_overflow'),
      kernelDrops: metricSum(body, 'outrider_statsd_kernel_drops_total'),
    };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
  const seriesList = arg('series', '10000,100000').split(',').map(Number);
  const rounds = Number(arg('rounds', '1'));
  // The Footprint table's rows load for 6 s; longer shows the RSS of a sustained load (V8's optimizing compiler is
  // held back until the agent's first busy 10 s window: docs/footprint.md).
  const seconds = Number(arg('seconds', '6'));
  const bins = arg('bin', '')
    .split(',')
    .filter((b) => b !== '');
  const sender = buildSender();
  if (!sender) throw new Error('no C compiler: cannot build bench/statsd-sender.c');
  const floor = await startBareNode();
  await coldStartMs(floor);
  await new Promise((r) => setTimeout(r, 2000));
  const floorMiB = statusField(floor.child.pid!, 'VmRSS') / 1024;
  await floor.stop();
  console.log(`node ${process.version}, 2 M lines/s asked for ${seconds} s, statsd.flush_interval 1s; bare Node floor ${floorMiB.toFixed(1)} MiB`);
  for (let k = 0; k < rounds; k++) {
    for (const series of seriesList) {
      for (const bin of bins.length > 0 ? bins : [undefined]) {
        const agent = await startAgent({ bin, flags: ['--statsd.flush_interval=1s'] });
        try {
          await coldStartMs(agent);
          const r = await statsdLoad(agent, sender, series, 2_000_000, seconds);
          const peak = +r.peakRssMiB.toFixed(1);
          console.log(
            JSON.stringify({
              ...(bin ? { bin } : {}),
              series,
              peak_rss_mib: peak,
              over_floor_mib: +(peak - floorMiB).toFixed(1),
              sent_mlines_per_sec: +(r.achievedLinesPerSec / 1e6).toFixed(2),
              sent_lines: r.sentLines,
              received_lines: r.receivedLines,
              interval_overflow: r.intervalOverflow,
              kernel_drops: r.kernelDrops,
            }),
          );
        } finally {
          await agent.stop();
        }
      }
    }
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
