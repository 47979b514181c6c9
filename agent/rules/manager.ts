/**
 * The rules component: loads the rule files, runs their groups, sends their alerts and keeps their state.
 *
 * Loading is all or nothing: when any file has a problem (a glob that cannot be read, bad YAML, an unknown field, an
 * expression the engine refuses, a bad template), every problem is logged, `outrider_rules_last_reload_successful`
 * is 0 and the rules loaded before stay in force. The previous groups, their alert state and the last good load are
 * carried from one instance to the next one built on a reload (see `RulesCarry`), so a reload neither resets `for`
 * timers nor forgets a good rule set.
 */
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Component, Health } from '../core/component';
import type { Telemetry } from '../core/telemetry';
import type { QueryEngine } from '../query/types';
import type { Store } from '../store/store';
import { Compile, GroupSpec, RuleProblem, formatProblem, parseRuleFile } from './file';
import { globFiles } from './glob';
import { RuleGroup } from './group';
import { RuleMetrics, ruleMetrics } from './metrics';
import { Notifier } from './notifier';
import type { RulesOptions } from './options';
import { SavedState, readState, restoreGroup, snapshot, writeState } from './state-file';

/** What one rules instance hands the next (held by the composition root per agent, across reloads). */
export interface RulesCarry {
  /** The last rule set that loaded without a problem, and the files option it was loaded for. */
  good?: { files: string[]; groups: GroupSpec[] };
  /** The groups that ran until the reload (their alert state is copied). */
  groups?: RuleGroup[];
  /** Whether the state file was already read (only the first start restores from it). */
  restoredFromFile?: boolean;
}

export interface RulesDeps {
  store: Store;
  log: Logger;
  telemetry: Telemetry;
  health: Health;
  engine: QueryEngine | undefined;
  carry: RulesCarry;
  now?: () => number;
}

/** Reads every file the globs name and checks it; all problems of all files are returned. */
export function loadRules(patterns: readonly string[], compile: Compile | undefined): { groups: GroupSpec[]; problems: RuleProblem[]; files: string[] } {
  const problems: RuleProblem[] = [];
  const groups: GroupSpec[] = [];
  const files: string[] = [];
  for (const p of patterns) {
    let matched: string[];
    try {
      matched = globFiles(p);
    } catch (err) {
      problems.push({ file: p, message: `bad pattern: ${(err as Error).message}` });
      continue;
    }
    for (const f of matched) if (!files.includes(f)) files.push(f);
  }
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (err) {
      problems.push({ file: f, message: `cannot read the file: ${(err as Error).message}` });
      continue;
    }
    const res = parseRuleFile(f, text, compile);
    problems.push(...res.problems);
    groups.push(...res.groups);
  }
  return { groups, problems, files };
}

export class RulesManager implements Component {
  readonly name = 'rules';
  readonly #opts: RulesOptions;
  readonly #deps: RulesDeps;
  readonly #metrics: RuleMetrics;
  readonly #notifier: Notifier;
  #groups: RuleGroup[] = [];
  #problems: RuleProblem[] = [];
  #saved: SavedState | undefined;
  #writeTimer: NodeJS.Timeout | undefined;
  #lastWriteError = '';
  #started = false;

  constructor(opts: RulesOptions, deps: RulesDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#metrics = ruleMetrics(deps.telemetry);
    this.#notifier = new Notifier(opts.alertmanager, { log: deps.log, metrics: this.#metrics, externalLabels: opts.externalLabels });
  }

  get groups(): readonly RuleGroup[] {
    return this.#groups;
  }

  /** The problems of the last load (empty when it succeeded). */
  get problems(): readonly RuleProblem[] {
    return this.#problems;
  }

  get notifier(): Notifier {
    return this.#notifier;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { log, health, carry } = this.#deps;
    const engine = this.#deps.engine;
    const loaded = loadRules(this.#opts.files, engine ? (e) => engine.compile(e) : undefined);
    if (!engine && loaded.groups.some((g) => g.rules.length > 0))
      loaded.problems.push({ file: loaded.files[0] ?? '', message: 'rules need the local history and its query engine (history.enabled: true)' });
    this.#problems = loaded.problems;
    let specs: GroupSpec[];
    if (loaded.problems.length === 0) {
      specs = loaded.groups;
      carry.good = { files: [...this.#opts.files], groups: specs };
      this.#metrics.reloadOk.set(1);
      this.#metrics.reloadTime.set(Date.now() / 1000);
    } else {
      for (const p of loaded.problems) log.error({ file: p.file, line: p.line }, `Rule file refused: ${formatProblem(p)}`);
      specs = carry.good?.groups ?? [];
      log.error(
        { problems: loaded.problems.length, kept_groups: specs.length },
        carry.good ? 'The rule files have problems; the rules loaded before stay in force.' : 'The rule files have problems; no rules are evaluated.',
      );
      this.#metrics.reloadOk.set(0);
    }
    if (!carry.restoredFromFile && this.#opts.stateDir) this.#saved = readState(this.#opts.stateDir, (msg) => log.warn({ dir: this.#opts.stateDir }, `Alert state not restored: ${msg}`));
    const previous = new Map((carry.groups ?? []).map((g) => [g.key, g]));
    this.#groups = specs.map((spec) => this.#makeGroup(spec, previous));
    for (const old of previous.values()) if (!this.#groups.some((g) => g.key === old.key)) old.drop();
    carry.groups = this.#groups;
    carry.restoredFromFile = true;
    for (const g of this.#groups) g.start();
    const rules = this.#groups.reduce((n, g) => n + g.rules.length, 0);
    const detail = loaded.problems.length > 0 ? `${loaded.problems.length} problem(s) in the rule files; ${rules} rules from the last good load` : `${rules} rules in ${this.#groups.length} groups`;
    health.report('rules', loaded.problems.length > 0 ? 'degraded' : 'running', { ready: true, detail });
    if (rules > 0) log.info({ groups: this.#groups.length, rules }, 'Rules loaded.');
  }

  #makeGroup(spec: GroupSpec, previous: Map<string, RuleGroup>): RuleGroup {
    const g = new RuleGroup(spec, {
      store: this.#deps.store,
      log: this.#deps.log,
      metrics: this.#metrics,
      intervalMs: this.#opts.evaluationIntervalMs,
      resendDelayMs: this.#opts.alertmanager.resendDelayMs,
      externalLabels: this.#opts.externalLabels,
      externalUrl: this.#opts.externalUrl,
      notify: (alerts) => this.#notifier.send(alerts),
      onEvaluated: () => this.#scheduleWrite(),
      ...(this.#deps.now ? { now: this.#deps.now } : {}),
    });
    const old = previous.get(g.key);
    if (old) {
      g.copyStateFrom(old);
    } else if (this.#saved) {
      for (const r of g.rules) if (r.kind === 'alerting') r.restored = false;
      const saved = this.#saved;
      g.afterFirst = (tMs) => {
        const n = restoreGroup(g, saved, tMs, this.#opts);
        if (n > 0) this.#deps.log.info({ group: spec.name, file: spec.file, alerts: n }, 'Restored the `for` state of alerts saved before the restart.');
      };
    }
    return g;
  }

  #scheduleWrite(): void {
    if (!this.#opts.stateDir || this.#writeTimer) return;
    this.#writeTimer = setTimeout(() => {
      this.#writeTimer = undefined;
      this.#writeNow();
    }, 1000);
    this.#writeTimer.unref();
  }

  #writeNow(): void {
    if (!this.#opts.stateDir) return;
    try {
      writeState(this.#opts.stateDir, snapshot(this.#groups, this.#deps.now?.() ?? Date.now()));
      this.#lastWriteError = '';
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.#lastWriteError) this.#deps.log.warn({ dir: this.#opts.stateDir, err: msg }, 'Cannot write the alert state file; `for` timers will restart after a restart.');
      this.#lastWriteError = msg;
    }
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    for (const g of this.#groups) g.stop();
    if (this.#writeTimer) {
      clearTimeout(this.#writeTimer);
      this.#writeTimer = undefined;
      this.#writeNow();
    }
    await this.#notifier.stop();
    this.#deps.health.report('rules', 'stopped', { ready: false });
  }
}
