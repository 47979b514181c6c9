/**
 * A rule group: its rules evaluated in order on the group's interval, at ticks aligned to the interval with an
 * offset taken from the group's identity (as Prometheus spreads groups); a tick that comes while the previous
 * evaluation overran is counted as missed. Recorded series, ALERTS and ALERTS_FOR_STATE go into the store as one
 * snapshot of the group (owner `rules:<file>;<group>`), so series a rule no longer returns leave the store at once.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store';
import type { FamilySamples } from '../store/types';
import type { InstantSample } from '../query/types';
import { AlertingRule, OutputSample, RuleError } from './alerting';
import type { GroupSpec } from './file';
import type { RuleMetrics } from './metrics';
import type { NotifyAlert } from './notifier';
import { RecordingRule } from './recording';

export type Rule = AlertingRule | RecordingRule;

/** How often a group's series are rewritten between evaluations (well inside the store's smallest stale_after). */
const keepAliveMs = 500;

export interface GroupDeps {
  store: Store;
  log: Logger;
  metrics: RuleMetrics;
  intervalMs: number;
  resendDelayMs: number;
  externalLabels: Readonly<Record<string, string>>;
  externalUrl: string;
  notify: (alerts: NotifyAlert[]) => void;
  /** Called after each evaluation (the alert state file is written from here). */
  onEvaluated?: (group: RuleGroup, tMs: number) => void;
  now?: () => number;
}

export class RuleGroup {
  readonly spec: GroupSpec;
  readonly rules: Rule[];
  readonly intervalMs: number;
  readonly key: string;
  lastEvaluationMs: number | undefined;
  evaluationSeconds = 0;
  readonly #deps: GroupDeps;
  readonly #offsetMs: number;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #last: FamilySamples[] = [];
  #lastTickMs: number | undefined;
  #running = false;
  /** Called once after the first evaluation (restoring `for` state), then cleared. */
  afterFirst: ((tMs: number) => void) | undefined;

  constructor(spec: GroupSpec, deps: GroupDeps) {
    this.spec = spec;
    this.#deps = deps;
    this.intervalMs = spec.intervalMs ?? deps.intervalMs;
    this.key = `${spec.file};${spec.name}`;
    const ctx = { externalLabels: deps.externalLabels, externalUrl: deps.externalUrl };
    this.rules = spec.rules.map((r) => (r.kind === 'alerting' ? new AlertingRule(r, ctx) : new RecordingRule(r)));
    // node:crypto loads with the first rule group, not at every start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    this.#offsetMs = Number(createHash('sha256').update(this.key).digest().readBigUInt64BE(0) % BigInt(this.intervalMs));
    deps.metrics.rules.set({ rule_group: this.key }, this.rules.length);
  }

  get owner(): string {
    return `rules:${this.key}`;
  }

  /** The first tick at or after `nowMs`. */
  nextTick(nowMs: number): number {
    const base = nowMs - ((((nowMs - this.#offsetMs) % this.intervalMs) + this.intervalMs) % this.intervalMs);
    return base < nowMs ? base + this.intervalMs : base;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
    // The group's series are rewritten between evaluations so the store's staleness sweep (store.stale_after) never
    // takes them while they are current; unchanged values cost no generation.
    this.#keepAlive = setInterval(() => this.#deps.store.replaceOwned(this.owner, this.#last), Math.min(this.intervalMs, keepAliveMs));
    this.#keepAlive.unref();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#timer = undefined;
    this.#keepAlive = undefined;
  }

  /** Removes the group's series from the store (the group was removed). */
  drop(): void {
    this.#deps.store.dropOwner(this.owner);
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  #schedule(): void {
    if (!this.#running) return;
    const now = this.#now();
    // The tick after the last one evaluated, even when it is already due: an evaluation that ends past its successor
    // (after an early wake, below) must not skip it.
    const next = this.#lastTickMs === undefined ? this.nextTick(now) : Math.max(this.#lastTickMs + this.intervalMs, now);
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, next - now));
    this.#timer.unref();
  }

  #tick(): void {
    const now = this.#now();
    // The latest tick not after now: evaluation time is the tick, as in Prometheus.
    const tick = this.nextTick(now) === now ? now : this.nextTick(now) - this.intervalMs;
    if (this.#lastTickMs !== undefined && tick <= this.#lastTickMs) {
      // Woke before its tick (Node's timers run off the event loop's cached clock, a few ms behind Date.now() at
      // times): wait for the tick instead of evaluating the last one again.
      this.#schedule();
      return;
    }
    const m = this.#deps.metrics;
    if (this.#lastTickMs !== undefined) {
      const missed = Math.round((tick - this.#lastTickMs) / this.intervalMs) - 1;
      if (missed > 0) {
        m.missed.inc({ rule_group: this.key }, missed);
        m.iterations.inc({ rule_group: this.key }, missed);
      }
    }
    this.#lastTickMs = tick;
    m.iterations.inc({ rule_group: this.key });
    this.evaluate(tick);
    this.#schedule();
  }

  /** Evaluates every rule at `tMs`, writes the group's series and hands due alerts to the notifier. */
  evaluate(tMs: number): void {
    const m = this.#deps.metrics;
    const started = performance.now();
    const outputs: OutputSample[] = [];
    for (const rule of this.rules) {
      const t0 = performance.now();
      m.evaluations.inc({ rule_group: this.key });
      try {
        const q = rule.spec.query;
        if (!q) throw new RuleError('the rule has no compiled expression (no query engine)');
        const res = q.instant(tMs - this.spec.queryOffsetMs);
        let samples: readonly InstantSample[];
        if (res.type === 'vector') samples = res.samples;
        else if (res.type === 'scalar') samples = [{ labels: {}, value: res.value }];
        else throw new RuleError('rule result is not a vector or scalar');
        outputs.push(...(rule.kind === 'alerting' ? rule.eval(tMs, samples, this.spec.limit) : rule.eval(samples, this.spec.limit)));
        rule.health = 'ok';
        rule.lastError = '';
      } catch (err) {
        rule.health = 'err';
        rule.lastError = err instanceof Error ? err.message : String(err);
        m.failures.inc({ rule_group: this.key });
        this.#deps.log.warn({ group: this.spec.name, file: this.spec.file, rule: rule.name, err: rule.lastError }, 'Evaluating a rule failed.');
      }
      rule.lastEvaluationMs = tMs;
      rule.evaluationSeconds = (performance.now() - t0) / 1000;
      m.duration.observe(rule.evaluationSeconds);
    }
    this.#write(outputs);
    this.#sendAlerts(tMs);
    this.lastEvaluationMs = tMs;
    this.evaluationSeconds = (performance.now() - started) / 1000;
    m.lastDuration.set({ rule_group: this.key }, this.evaluationSeconds);
    m.lastEvaluation.set({ rule_group: this.key }, tMs / 1000);
    const first = this.afterFirst;
    this.afterFirst = undefined;
    first?.(tMs);
    this.#deps.onEvaluated?.(this, tMs);
  }

  #write(outputs: readonly OutputSample[]): void {
    const byName = new Map<string, FamilySamples>();
    for (const o of outputs) {
      let fam = byName.get(o.name);
      if (!fam) {
        const help =
          o.name === 'ALERTS'
            ? 'Alerts pending or firing, by alertstate.'
            : o.name === 'ALERTS_FOR_STATE'
              ? 'The time (Unix seconds) an alert became active.'
              : `Recorded by a rule of group ${this.spec.name}.`;
        byName.set(o.name, (fam = { name: o.name, help, type: 'gauge', samples: [] }));
      }
      fam.samples.push({ labels: o.labels, value: o.value });
    }
    this.#last = [...byName.values()];
    this.#deps.store.replaceOwned(this.owner, this.#last);
  }

  #sendAlerts(tMs: number): void {
    const out: NotifyAlert[] = [];
    for (const rule of this.rules) {
      if (rule.kind !== 'alerting') continue;
      const url = `${this.#deps.externalUrl.replace(/\/+$/, '')}/graph?g0.expr=${encodeURIComponent(rule.spec.expr).replace(/%20/g, '+')}&g0.tab=1`;
      for (const a of rule.alertsToSend(tMs, this.#deps.resendDelayMs, this.intervalMs)) {
        out.push({ labels: a.labels, annotations: a.annotations, startsAtMs: a.firedAtMs ?? a.activeAtMs, endsAtMs: a.resolvedAtMs ?? a.validUntilMs!, generatorURL: url });
      }
    }
    if (out.length > 0) this.#deps.notify(out);
  }

  /** Takes the alert state of the same rules of a group being replaced (a reload keeps `for` timers running). */
  copyStateFrom(old: RuleGroup): void {
    const byName = new Map<string, AlertingRule[]>();
    for (const r of old.rules) if (r.kind === 'alerting') byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    for (const r of this.rules) {
      if (r.kind !== 'alerting') continue;
      const prev = byName.get(r.name)?.shift();
      if (!prev) continue;
      r.active = prev.active;
      r.restored = prev.restored;
      r.health = prev.health;
      r.lastError = prev.lastError;
      r.lastEvaluationMs = prev.lastEvaluationMs;
    }
    this.lastEvaluationMs = old.lastEvaluationMs;
    this.#lastTickMs = old.#lastTickMs;
  }
}
