/** A recording rule: its result, renamed to `record:` and with the rule's labels, becomes series in the store. */
import type { InstantSample } from '../query/types';
import { OutputSample, RuleError } from './alerting';
import type { RuleSpec } from './file';
import { labelsKey } from './labels';

export class RecordingRule {
  readonly kind = 'recording';
  readonly spec: RuleSpec;
  health: 'unknown' | 'ok' | 'err' = 'unknown';
  lastError = '';
  lastEvaluationMs: number | undefined;
  evaluationSeconds = 0;

  constructor(spec: RuleSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  eval(samples: readonly InstantSample[], limit: number): OutputSample[] {
    const out: OutputSample[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      const labels: Record<string, string> = { ...s.labels, ...this.spec.labels };
      delete labels.__name__;
      for (const [k, v] of Object.entries(this.spec.labels)) if (v === '') delete labels[k];
      const key = labelsKey(labels);
      if (seen.has(key)) throw new RuleError('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      out.push({ name: this.spec.name, labels, value: s.value });
    }
    if (limit > 0 && out.length > limit) throw new RuleError(`exceeded limit ${limit} with ${out.length} series`);
    return out;
  }
}
