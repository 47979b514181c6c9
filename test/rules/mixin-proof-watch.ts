/**
 * Watches /api/v1/alerts of one side of the node-mixin proof (the agent or Prometheus, same shape) and keeps each
 * alert's episodes: when it was first seen, its activeAt, when it was first seen firing and when it went away.
 * An alert is known by its alertname and labels (sorted into one key).
 */
export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

export interface Episode {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: string;
  activeAtMs: number;
  seenMs: number;
  firingSeenMs?: number;
  goneMs?: number;
}

export const alertKey = (labels: Record<string, string>): string =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );

export async function fetchAlerts(base: string): Promise<ApiAlert[]> {
  const res = await fetch(`${base}/api/v1/alerts`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { status: string; data: { alerts: ApiAlert[] } };
  if (body.status !== 'success') throw new Error(`${base}/api/v1/alerts answered ${JSON.stringify(body)}`);
  return body.data.alerts;
}

export class AlertWatch {
  readonly episodes = new Map<string, Episode[]>();
  #current = new Set<string>();

  constructor(readonly name: string) {}

  /** Records one answer of /api/v1/alerts taken at `nowMs`. */
  observe(alerts: ApiAlert[], nowMs: number): void {
    const now = new Set<string>();
    for (const a of alerts) {
      const key = alertKey(a.labels);
      now.add(key);
      const list = this.episodes.get(key) ?? [];
      this.episodes.set(key, list);
      const activeAtMs = Date.parse(a.activeAt);
      let ep = list[list.length - 1];
      if (ep === undefined || ep.goneMs !== undefined || ep.activeAtMs !== activeAtMs) {
        if (ep && ep.goneMs === undefined) ep.goneMs = nowMs;
        ep = { labels: a.labels, annotations: a.annotations, value: a.value, activeAtMs, seenMs: nowMs };
        list.push(ep);
      }
      ep.annotations = a.annotations;
      ep.value = a.value;
      if (a.state === 'firing' && ep.firingSeenMs === undefined) ep.firingSeenMs = nowMs;
    }
    for (const key of this.#current) {
      if (now.has(key)) continue;
      const ep = this.episodes.get(key)!.at(-1)!;
      if (ep.goneMs === undefined) ep.goneMs = nowMs;
    }
    this.#current = now;
  }

  /** The episode of `key` in progress (undefined when the alert is not active now). */
  current(key: string): Episode | undefined {
    const ep = this.episodes.get(key)?.at(-1);
    return ep && ep.goneMs === undefined ? ep : undefined;
  }

  firing(key: string): boolean {
    return this.current(key)?.firingSeenMs !== undefined;
  }

  /** Keys firing now whose episode began before `sinceMs` (settled: not a flap at the edge of a poll). */
  settledFiring(sinceMs: number): string[] {
    return [...this.#current].filter((k) => {
      const ep = this.current(k);
      return ep?.firingSeenMs !== undefined && ep.firingSeenMs < sinceMs;
    });
  }

  /** The last episode of `key` that fired. */
  lastFired(key: string): Episode | undefined {
    return this.episodes
      .get(key)
      ?.filter((e) => e.firingSeenMs !== undefined)
      .at(-1);
  }
}
