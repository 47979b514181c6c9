/**
 * Problems across keys. Each key is checked on its own by the loader; a component may add a check over several of
 * its keys (or its keys and a foundation key) next to its `optionsFrom(config)`. The composition root lists the
 * checks; check-config and the agent's start report their problems with all the others.
 */
import type { Config } from './config';
import type { ConfigProblem } from './load';

export interface CrossProblem {
  /** The key whose value is refused. */
  key: string;
  value: string;
  expected: string;
}

export type CrossCheck = (config: Config) => CrossProblem[];

/** Runs the checks over a configuration that passed the per-key checks; each problem names where its key was set. */
export function crossProblems(config: Config, checks: readonly CrossCheck[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const check of checks) {
    for (const p of check(config)) {
      const source = config.source(p.key);
      out.push({
        key: p.key,
        value: JSON.stringify(p.value),
        expected: p.expected,
        source: source === 'default' ? 'file' : source,
        where: source === 'default' ? 'default' : source === 'file' ? (config.file ?? 'file') : source,
      });
    }
  }
  return out;
}
