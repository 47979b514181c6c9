/** Builds the scrape component from the config: static targets plus the pod-annotation target (none: no component). */
import type { AgentContext } from '../../core/context';
import type { Scraper } from './scraper';
import { parseHostPort } from '../../config/coerce';
import { ScrapeDefaults, TargetSpec, targetFromAnnotations, targetFromConfig } from './targets';

export type { Scraper } from './scraper';
export { targetsResponse } from './api';

export function scrapeDefaults(ctx: AgentContext): ScrapeDefaults {
  const c = ctx.config;
  return {
    intervalMs: c.number('scrape.interval'),
    timeoutMs: c.number('scrape.timeout'),
    limits: {
      sampleLimit: c.number('scrape.sample_limit'),
      labelLimit: c.number('scrape.label_limit'),
      labelNameLengthLimit: c.number('scrape.label_name_length_limit'),
      labelValueLengthLimit: c.number('scrape.label_value_length_limit'),
      bodySizeLimit: c.number('scrape.body_size_limit'),
      seriesLimit: c.number('scrape.series_limit'),
    },
  };
}

export async function scrapeExtension(ctx: AgentContext): Promise<Scraper[]> {
  const c = ctx.config;
  if (!c.bool('scrape.enabled')) return [];
  const d = scrapeDefaults(ctx);
  const targets: TargetSpec[] = [];
  c.get<unknown[]>('scrape.targets').forEach((raw, i) => {
    const t = targetFromConfig(raw, i, d);
    if (t) targets.push(t);
  });
  const pod = targetFromAnnotations({ scrape: c.string('scrape.annotations.scrape'), port: c.string('scrape.annotations.port'), path: c.string('scrape.annotations.path'), scheme: c.string('scrape.annotations.scheme') }, d);
  // The injector annotates a pod that has no prometheus.io annotations of its own with the sidecar's endpoint, so the
  // annotations can name this agent: scraping itself would copy its own series back into its store.
  const own = parseHostPort(c.string('listen'));
  if (pod && !(own && new URL(pod.url).port === String(own.port))) targets.push(pod);
  else if (pod) ctx.log.debug({ url: pod.url }, 'The pod annotations name this agent\'s own endpoint; not scraping it.');
  if (targets.length === 0) return [];
  // The scraper (and its HTTP client, ~20 MiB of RSS) loads only when there is something to scrape.
  const { Scraper } = await import('./scraper');
  return [new Scraper({ store: ctx.store, log: ctx.log, telemetry: ctx.telemetry, health: ctx.health, targets, targetLimit: c.number('scrape.target_limit') })];
}
