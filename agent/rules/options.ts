/** The rules' settings, parsed once. */
import path from 'node:path';
import type { Config } from '../config/config';

export interface NotifierOptions {
  urls: string[];
  timeoutMs: number;
  resendDelayMs: number;
  queueCapacity: number;
  maxBatch: number;
}

export interface RulesOptions {
  files: string[];
  evaluationIntervalMs: number;
  externalLabels: Record<string, string>;
  externalUrl: string;
  /** undefined: alert state is kept in memory only. */
  stateDir: string | undefined;
  forGracePeriodMs: number;
  outageToleranceMs: number;
  alertmanager: NotifierOptions;
}

export function optionsFrom(config: Config): RulesOptions {
  const stateDir = config.string('rules.state_dir');
  return {
    // Relative paths are taken from the config file's directory, as Prometheus takes rule_files.
    files: config.list('rules.files').map((f) => (config.file && config.source('rules.files') === 'file' ? path.resolve(path.dirname(config.file), f) : f)),
    evaluationIntervalMs: config.number('rules.evaluation_interval'),
    externalLabels: { ...config.get<Record<string, string>>('rules.external_labels') },
    // As Prometheus's default external URL, the agent's own address when none is set.
    externalUrl: config.string('rules.external_url') || `http://${config.string('listen').replace(/^:/, '127.0.0.1:')}`,
    stateDir: stateDir === '' ? undefined : stateDir,
    forGracePeriodMs: config.number('rules.for_grace_period'),
    outageToleranceMs: config.number('rules.outage_tolerance'),
    alertmanager: {
      urls: config.list('rules.alertmanager.urls'),
      timeoutMs: config.number('rules.alertmanager.timeout'),
      resendDelayMs: config.number('rules.alertmanager.resend_delay'),
      queueCapacity: config.number('rules.alertmanager.queue_capacity'),
      maxBatch: config.number('rules.alertmanager.max_batch'),
    },
  };
}
