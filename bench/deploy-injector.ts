/**
 * Sidecar injection costs: the admission webhook over HTTPS (keep-alive, sequential and 8 in flight) side by side
 * with the same review answered in-process (the HTTP+TLS share is the difference), and the CLI's YAML path per
 * document. Loopback only, bounded by count and time.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/deploy-injector.js [reviews=2000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Config } from '../agent/config/config';
import { silentLogger } from '../agent/core/log';
import { handleReview } from '../agent/deploy/injector/admission';
import { optionsFrom as injectorOptionsFrom } from '../agent/deploy/injector/options';
import { Injector } from '../agent/deploy/injector/server';
import { optionsFromConfig } from '../agent/deploy/inject/options';
import { injectText } from '../agent/deploy/inject/yaml';
import { agentKeys } from '../agent/keys';

const n = Number(process.argv[2] ?? 2000);
const repo = join(__dirname, '..', '..');
const podText = readFileSync(join(repo, 'test', 'deploy', 'fixtures', 'inject', 'pod.in.yaml'), 'utf8');
const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'bench', kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'demo', operation: 'CREATE', object: parse(podText), dryRun: false },
});

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-bench-'));
  try {
    const key = join(dir, 'k.pem');
    const cert = join(dir, 'c.pem');
    const r = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=bench',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    if (r.status !== 0) throw new Error('openssl is needed for this benchmark');
    const config = Config.defaults(agentKeys).with({ 'injector.listen': '127.0.0.1:0', 'injector.tls_cert': cert, 'injector.tls_key': key, 'inject.image': 'outrider:bench' });
    const opts = optionsFromConfig(config);

    // In-process: parse + plan + patch + encode, no transport.
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) handleReview(review, opts);
    const inProcUs = Number(process.hrtime.bigint() - t0) / 1000 / n;

    const injector = new Injector({ options: injectorOptionsFrom(config), log: silentLogger() });
    await injector.start();
    const url = new URL('/mutate', injector.url());
    const ca = readFileSync(cert);
    const post = (agent: https.Agent) =>
      new Promise<number>((resolve, reject) => {
        const s = process.hrtime.bigint();
        const req = https.request(url, { method: 'POST', ca, agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(Number(process.hrtime.bigint() - s) / 1000));
        });
        req.on('error', reject);
        req.end(review);
      });
    const seqAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 50; i++) await post(seqAgent); // warm-up (TLS handshake, JIT)
    const lat: number[] = [];
    t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) lat.push(await post(seqAgent));
    const seqSec = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.sort((a, b) => a - b);

    const parAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
    t0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < n) await post(parAgent);
      }),
    );
    const parSec = Number(process.hrtime.bigint() - t0) / 1e9;
    seqAgent.destroy();
    parAgent.destroy();
    await injector.stop();

    // CLI path: a 200-document stream, every one a workload.
    const docs = Array.from({ length: 200 }, (_, i) => podText.replace('name: hello', `name: hello-${i}`)).join('---\n');
    t0 = process.hrtime.bigint();
    const rounds = 5;
    for (let i = 0; i < rounds; i++) injectText(docs, opts);
    const cliUs = Number(process.hrtime.bigint() - t0) / 1000 / (rounds * 200);

    const httpUs = (seqSec * 1e6) / n;
    console.log(`reviews: ${n} (pod with one container; node ${process.version})`);
    console.log(`in-process handleReview:       ${inProcUs.toFixed(1)} µs/review`);
    console.log(`HTTPS, 1 connection:           ${(n / seqSec).toFixed(0)} reviews/s, p50 ${(pct(lat, 50) / 1000).toFixed(2)} ms, p99 ${(pct(lat, 99) / 1000).toFixed(2)} ms`);
    console.log(`HTTPS, 8 in flight:            ${(n / parSec).toFixed(0)} reviews/s`);
    console.log(`ratio HTTPS(1 conn)/in-process: ${(httpUs / inProcUs).toFixed(1)}x`);
    console.log(`CLI inject (YAML Document API): ${cliUs.toFixed(1)} µs/document`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
