/** `GET /api/v1/rules` and `GET /api/v1/alerts` in Prometheus's HTTP API shape. */
import type { Alert } from './alerting';
import { goE } from './go-format';
import type { RuleGroup } from './group';

const iso = (ms: number | undefined): string => new Date(ms ?? 0).toISOString().replace(/\.000Z$/, 'Z');

function alertJson(a: Alert): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: a.labels, annotations: a.annotations, state: a.state, activeAt: iso(a.activeAtMs), value: goE(a.value) };
  if (a.keepFiringSinceMs !== undefined) out.keepFiringSince = iso(a.keepFiringSinceMs);
  return out;
}

export interface RulesFilter {
  type?: 'alert' | 'record';
  ruleNames?: string[];
  groupNames?: string[];
  files?: string[];
}

export function filterFrom(url: URL): RulesFilter | string {
  const type = url.searchParams.get('type');
  if (type !== null && type !== 'alert' && type !== 'record') return `unsupported type '${type}'`;
  const list = (k: string) => (url.searchParams.getAll(k).length > 0 ? url.searchParams.getAll(k) : undefined);
  const f: RulesFilter = {};
  if (type) f.type = type;
  const rn = list('rule_name[]');
  const gn = list('rule_group[]');
  const fl = list('file[]');
  if (rn) f.ruleNames = rn;
  if (gn) f.groupNames = gn;
  if (fl) f.files = fl;
  return f;
}

export function rulesBody(groups: readonly RuleGroup[], f: RulesFilter = {}): unknown {
  const out = [];
  for (const g of groups) {
    if (f.groupNames && !f.groupNames.includes(g.spec.name)) continue;
    if (f.files && !f.files.includes(g.spec.file)) continue;
    const rules = [];
    for (const r of g.rules) {
      if (f.type === 'alert' && r.kind !== 'alerting') continue;
      if (f.type === 'record' && r.kind !== 'recording') continue;
      if (f.ruleNames && !f.ruleNames.includes(r.name)) continue;
      const common = {
        name: r.name,
        query: r.spec.expr,
        labels: r.spec.labels,
        health: r.health,
        lastError: r.lastError || undefined,
        evaluationTime: r.evaluationSeconds,
        lastEvaluation: iso(r.lastEvaluationMs),
      };
      if (r.kind === 'alerting') {
        rules.push({
          state: r.state(),
          ...common,
          duration: r.spec.forMs / 1000,
          keepFiringFor: r.spec.keepFiringForMs / 1000,
          annotations: r.spec.annotations,
          alerts: [...r.active.values()].filter((a) => a.state !== 'inactive').map(alertJson),
          type: 'alerting',
        });
      } else rules.push({ ...common, type: 'recording' });
    }
    if (rules.length === 0 && (f.type || f.ruleNames)) continue;
    out.push({ name: g.spec.name, file: g.spec.file, rules, interval: g.intervalMs / 1000, limit: g.spec.limit, evaluationTime: g.evaluationSeconds, lastEvaluation: iso(g.lastEvaluationMs) });
  }
  return { status: 'success', data: { groups: out } };
}

export function alertsBody(groups: readonly RuleGroup[]): unknown {
  const alerts = [];
  for (const g of groups) for (const r of g.rules) if (r.kind === 'alerting') for (const a of r.active.values()) if (a.state !== 'inactive') alerts.push(alertJson(a));
  return { status: 'success', data: { alerts } };
}
