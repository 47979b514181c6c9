/**
 * Label enrichment: `labels.from_env` (label → environment variable) becomes labels that StatsD series and reported
 * batches carry, so metrics from many pods stay apart (`outrider inject` sets the pod's downward-API variables).
 * Outside a pod the variables are unset and no label is added.
 */
import type { Config } from '../config/config';
import { optionsFrom } from './options';

/** Labels from a `labels.from_env` spec (label → variable), skipping variables that are unset or empty. Sorted by label name. */
export function envLabelsFrom(spec: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of Object.keys(spec).sort()) {
    const value = env[spec[label]!];
    if (value !== undefined && value !== '') out[label] = value;
  }
  return out;
}

/** The labels of a configuration's `labels.from_env` (a component that has not parsed its options yet). */
export function envLabels(config: Config, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return envLabelsFrom(optionsFrom(config).labelsFromEnv, env);
}

/**
 * Adds the env labels to a series' own labels; the series' labels win on a clash (an app that sends its own `pod`
 * tag keeps it).
 */
export function withEnvLabels(labels: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(extra)) {
    if (k in labels) continue;
    out ??= { ...labels };
    out[k] = v;
  }
  return out ?? labels;
}
