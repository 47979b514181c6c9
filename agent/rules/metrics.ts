/** The rules' own telemetry (`outrider_rule_*`, `outrider_rules_*`), Prometheus's rule manager metrics renamed. */
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Telemetry } from '../core/telemetry';

export interface RuleMetrics {
  evaluations: Counter;
  failures: Counter;
  iterations: Counter;
  missed: Counter;
  lastDuration: Gauge;
  lastEvaluation: Gauge;
  rules: Gauge;
  duration: Histogram;
  reloadOk: Gauge;
  reloadTime: Gauge;
  notifySent: Counter;
  notifyErrors: Counter;
  notifyDropped: Counter;
  notifyQueue: Gauge;
  notifyLatency: Histogram;
}

export function ruleMetrics(t: Telemetry): RuleMetrics {
  const g = ['rule_group'];
  return {
    evaluations: t.counter('outrider_rule_evaluations_total', 'Rule evaluations, by group (file;name).', g),
    failures: t.counter('outrider_rule_evaluation_failures_total', 'Rule evaluations that failed, by group.', g),
    iterations: t.counter('outrider_rule_group_iterations_total', 'Scheduled evaluations of a group (done or missed).', g),
    missed: t.counter('outrider_rule_group_iterations_missed_total', 'Scheduled evaluations of a group skipped because the previous one ran late or long.', g),
    lastDuration: t.gauge('outrider_rule_group_last_duration_seconds', 'Duration of the last evaluation of a group.', g),
    lastEvaluation: t.gauge('outrider_rule_group_last_evaluation_timestamp_seconds', 'Time of the last evaluation of a group.', g),
    rules: t.gauge('outrider_rule_group_rules', 'Rules in a group.', g),
    duration: t.histogram('outrider_rule_evaluation_duration_seconds', 'Duration of one rule evaluation.', [], [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]),
    reloadOk: t.gauge('outrider_rules_last_reload_successful', 'Whether the last load of the rule files succeeded (1) or was refused and the previous rules kept (0).'),
    reloadTime: t.gauge('outrider_rules_last_reload_success_timestamp_seconds', 'Time of the last successful load of the rule files.'),
    notifySent: t.counter('outrider_rules_notifications_sent_total', 'Alerts sent to an Alertmanager, by its URL.', ['alertmanager']),
    notifyErrors: t.counter('outrider_rules_notifications_errors_total', 'Alerts whose request to an Alertmanager failed, by its URL.', ['alertmanager']),
    notifyDropped: t.counter('outrider_rules_notifications_dropped_total', 'Alerts dropped: the queue was full, or no Alertmanager took them.'),
    notifyQueue: t.gauge('outrider_rules_notifications_queue_length', 'Alerts waiting to be sent.'),
    notifyLatency: t.histogram('outrider_rules_notifications_latency_seconds', 'Duration of one request to an Alertmanager.', ['alertmanager'], [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]),
  };
}
