/** `GET /api/v1/targets` in Prometheus's shape: activeTargets with labels, health, lastError, lastScrape, lastScrapeDuration. */
import type { TargetState } from './scraper';

export function targetsResponse(targets: readonly TargetState[]): unknown {
  return {
    status: 'success',
    data: {
      activeTargets: targets.map((t) => ({
        discoveredLabels: t.spec.discoveredLabels,
        labels: t.spec.labels,
        scrapePool: t.spec.job,
        scrapeUrl: t.spec.url.href,
        globalUrl: t.spec.url.href,
        lastError: t.lastError,
        lastScrape: (t.lastScrape ?? new Date(0)).toISOString(),
        lastScrapeDuration: t.lastScrapeDurationS,
        health: t.health,
        scrapeInterval: `${t.spec.intervalMs / 1000}s`,
        scrapeTimeout: `${t.spec.timeoutMs / 1000}s`,
        failures: Object.fromEntries(t.failures),
      })),
      droppedTargets: [],
    },
  };
}
