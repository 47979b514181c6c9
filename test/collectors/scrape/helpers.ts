/** Loopback targets and a Scraper wired to a fresh store, for the scrape tests. */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Scraper } from '../../../agent/collectors/scrape/scraper';
import { ScrapeDefaults, targetFromConfig } from '../../../agent/collectors/scrape/targets';
import { silentLogger } from '../../../agent/core/log';
import { Telemetry } from '../../../agent/core/telemetry';
import { Store } from '../../../agent/store/store';

export const defaults: ScrapeDefaults = {
  intervalMs: 60_000,
  timeoutMs: 5_000,
  limits: { sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, bodySizeLimit: 16 << 20, seriesLimit: 0 },
};

export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, server, close: () => new Promise((r) => server.close(() => r())) };
}

export function scraper(entries: unknown[], opts: { targetLimit?: number; store?: Store } = {}): { scraper: Scraper; store: Store; telemetry: Telemetry } {
  const store = opts.store ?? new Store();
  const telemetry = new Telemetry();
  const targets = entries.map((e, i) => targetFromConfig(e, i, defaults)!);
  return { scraper: new Scraper({ store, log: silentLogger(), telemetry, targets, targetLimit: opts.targetLimit ?? 0 }), store, telemetry };
}

/** The value (or distribution) of one series, looked up by family and exact labels. */
export function valueOf(store: Store, family: string, labels: Record<string, string>): unknown {
  const fam = store.getFamily(family);
  if (!fam) return undefined;
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const s of fam.series.values()) {
    if (JSON.stringify(Object.entries(s.labels).sort()) === want) return s.dist ? { count: s.dist.count, sum: s.dist.sum, buckets: s.dist.buckets, quantiles: s.dist.quantiles } : s.value;
  }
  return undefined;
}
