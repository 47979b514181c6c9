/**
 * An alerting rule and its alerts, with Prometheus's state machine (rules/alerting.go): a new result is a pending
 * alert active since now; it fires once it has been active for `for`; an alert whose result vanished goes inactive
 * (resolved) at once, unless it was firing and `keep_firing_for` still holds it; resolved alerts are kept 15 minutes
 * so they are sent as resolved and a flapping alert does not restart its `for` timer; pending alerts whose result
 * vanished are forgotten at once. ALERTS and ALERTS_FOR_STATE are written once the rule's state is restored.
 */
import type { Labels } from '../store/types';
import type { InstantSample } from '../query/types';
import type { RuleSpec } from './file';
import { labelsKey } from './labels';

export type AlertState = 'pending' | 'firing' | 'inactive';

/** How long a resolved alert is kept (and sent as resolved), as Prometheus's resolvedRetention. */
export const resolvedRetentionMs = 15 * 60_000;

export interface Alert {
  /** The alert's labels: the result's labels without __name__, the rule's labels, alertname. */
  labels: Labels;
  annotations: Labels;
  state: AlertState;
  value: number;
  activeAtMs: number;
  firedAtMs: number | undefined;
  resolvedAtMs: number | undefined;
  lastSentAtMs: number | undefined;
  validUntilMs: number | undefined;
  keepFiringSinceMs: number | undefined;
}

export interface TemplateContext {
  externalLabels: Labels;
  externalUrl: string;
}

/** One output series of a rule evaluation (ALERTS, ALERTS_FOR_STATE or a recorded series). */
export interface OutputSample {
  name: string;
  labels: Labels;
  value: number;
}

export class RuleError extends Error {}

export class AlertingRule {
  readonly kind = 'alerting';
  readonly spec: RuleSpec;
  /** Alerts by the key of their labels: pending, firing and recently resolved. */
  active = new Map<string, Alert>();
  /** False until the `for` state saved before a restart was applied (or there was none). */
  restored = true;
  health: 'unknown' | 'ok' | 'err' = 'unknown';
  lastError = '';
  lastEvaluationMs: number | undefined;
  evaluationSeconds = 0;
  readonly #ctx: TemplateContext;

  constructor(spec: RuleSpec, ctx: TemplateContext) {
    this.spec = spec;
    this.#ctx = ctx;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Applies one evaluation's result at `tMs`; returns the ALERTS and ALERTS_FOR_STATE samples. */
  eval(tMs: number, samples: readonly InstantSample[], limit: number): OutputSample[] {
    const found = new Map<string, Alert>();
    for (const s of samples) {
      const data = { labels: s.labels, externalLabels: this.#ctx.externalLabels, externalUrl: this.#ctx.externalUrl, value: s.value };
      const lbls: Record<string, string> = { ...s.labels };
      delete lbls.__name__;
      for (const [k, t] of this.spec.labelTemplates) lbls[k] = t.expand(data);
      lbls.alertname = this.spec.name;
      const annotations: Record<string, string> = {};
      for (const [k, t] of this.spec.annotationTemplates) annotations[k] = t.expand(data);
      const key = labelsKey(lbls);
      if (found.has(key)) throw new RuleError('vector contains metrics with the same labelset after applying alert labels');
      found.set(key, newAlert(lbls, annotations, s.value, tMs));
    }
    for (const [key, a] of found) {
      const have = this.active.get(key);
      if (have && have.state !== 'inactive') {
        have.value = a.value;
        have.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
    }
    const out: OutputSample[] = [];
    let activePending = 0;
    for (const [key, a] of this.active) {
      if (!found.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.spec.keepFiringForMs > 0) {
          a.keepFiringSinceMs ??= tMs;
          if (tMs - a.keepFiringSinceMs < this.spec.keepFiringForMs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAtMs !== undefined && tMs - a.resolvedAtMs > resolvedRetentionMs)) this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAtMs = tMs;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSinceMs = undefined;
      }
      activePending++;
      if (a.state === 'pending' && tMs - a.activeAtMs >= this.spec.forMs) {
        a.state = 'firing';
        a.firedAtMs = tMs;
      }
      if (this.restored) {
        out.push({ name: 'ALERTS', labels: { ...a.labels, alertstate: a.state }, value: 1 });
        out.push({ name: 'ALERTS_FOR_STATE', labels: a.labels, value: Math.floor(a.activeAtMs / 1000) });
      }
    }
    if (limit > 0 && activePending > limit) {
      this.active = new Map();
      throw new RuleError(`exceeded limit of ${limit} with ${activePending} alerts`);
    }
    return out;
  }

  /**
   * The alerts to send now (firing ones not sent within `resendDelayMs`, and ones resolved since they were last
   * sent), stamped as sent; endsAt is resolvedAt or now + 4 × max(resend delay, interval).
   */
  alertsToSend(tMs: number, resendDelayMs: number, intervalMs: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (!needsSending(a, tMs, resendDelayMs)) continue;
      a.lastSentAtMs = tMs;
      a.validUntilMs = tMs + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({ ...a });
    }
    return out;
  }

  /** The rule's state for the API: firing if an alert fires, else pending if one is pending, else inactive. */
  state(): AlertState {
    let st: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') st = 'pending';
    }
    return st;
  }
}

function newAlert(labels: Labels, annotations: Labels, value: number, tMs: number): Alert {
  return {
    labels,
    annotations,
    state: 'pending',
    value,
    activeAtMs: tMs,
    firedAtMs: undefined,
    resolvedAtMs: undefined,
    lastSentAtMs: undefined,
    validUntilMs: undefined,
    keepFiringSinceMs: undefined,
  };
}

function needsSending(a: Alert, tMs: number, resendDelayMs: number): boolean {
  if (a.state === 'pending') return false;
  if (a.resolvedAtMs !== undefined && (a.lastSentAtMs === undefined || a.resolvedAtMs > a.lastSentAtMs)) return true;
  return a.lastSentAtMs === undefined || a.lastSentAtMs + resendDelayMs < tMs;
}
