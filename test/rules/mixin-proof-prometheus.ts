/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for the node-mixin proof: it scrapes one agent on loopback,
 * evaluates the same rule files, and serves /api/v1/alerts. What it scrapes is made to look like the agent's own
 * series: only node_* families are kept (the agent's recorded series and ALERTS would collide with Prometheus's
 * own) and the job and instance labels the scrape adds are dropped.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const prometheusBin = '/usr/bin/prometheus';

export interface ProofPrometheus {
  url: string;
  proc: ChildProcess;
  /** Its stderr (the last 64 KiB), for a failure message. */
  log(): string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export function prometheusConfig(target: string, ruleFiles: string[], scrapeMs: number, evalMs: number, externalLabels: Record<string, string>): string {
  const ext = Object.entries(externalLabels)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
    .join('');
  return (
    `global:\n  scrape_interval: ${scrapeMs}ms\n  scrape_timeout: ${scrapeMs}ms\n  evaluation_interval: ${evalMs}ms\n  external_labels:\n${ext}` +
    `rule_files:\n${ruleFiles.map((f) => `  - ${JSON.stringify(f)}\n`).join('')}` +
    `scrape_configs:\n  - job_name: outrider\n    static_configs:\n      - targets: [${JSON.stringify(target)}]\n` +
    `    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: 'node_.+'\n        action: keep\n      - regex: 'job|instance'\n        action: labeldrop\n`
  );
}

/** Starts Prometheus with `config` in `dir` (a fresh TSDB under it); resolves once it is ready. */
export async function startPrometheus(dir: string, config: string): Promise<ProofPrometheus> {
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  let lastLog = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(prometheusBin, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, `tsdb-${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr!.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-65536);
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300 && proc.exitCode === null; i++) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return { url, proc, log: () => log };
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (proc.exitCode === null) proc.kill('SIGKILL');
    lastLog = log;
  }
  throw new Error(`Prometheus did not start:\n${lastLog}`);
}
