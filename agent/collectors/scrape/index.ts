/** Builds the scrape component from its options (./options.ts): static targets, file_sd and the pod-annotation target (none: no component). */
import type { AgentContext } from '../../core/context';
import type { Scraper } from './scraper';
import { optionsFrom } from './options';
import type { TargetSpec } from './targets';

export type { Scraper } from './scraper';
export { targetsResponse } from './api';

export async function scrapeExtension(ctx: AgentContext): Promise<Scraper[]> {
  const o = optionsFrom(ctx.config);
  if (!o.enabled) return [];
  const targets: TargetSpec[] = [...o.targets];
  const pod = o.podTarget;
  // The injector annotates a pod that has no prometheus.io annotations of its own with the sidecar's endpoint, so the
  // annotations can name this agent: scraping itself would copy its own series back into its store.
  if (pod && !(o.ownPort !== undefined && new URL(pod.url).port === String(o.ownPort))) targets.push(pod);
  else if (pod) ctx.log.debug({ url: pod.url }, "The pod annotations name this agent's own endpoint; not scraping it.");
  if (targets.length === 0 && o.fileSd.length === 0) return [];
  // The scraper (and its HTTP client, ~20 MiB of RSS) loads only when there is something to scrape.
  const { Scraper } = await import('./scraper');
  return [new Scraper({ store: ctx.store, log: ctx.log, telemetry: ctx.telemetry, health: ctx.health, targets, fileSd: o.fileSd, targetLimit: o.targetLimit })];
}
