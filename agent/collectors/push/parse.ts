/**
 * Parser for the push endpoint: the Prometheus text format (read by `formats/parse`), limited to counters, gauges and
 * untyped samples (`# TYPE name counter|gauge|untyped`; a sample without a TYPE is a gauge). Summaries, histograms
 * and timestamps are not accepted here.
 */
import { parseText } from '../../formats/parse';
import type { Labels, MetricType } from '../../store/types';

export interface PushSample {
  name: string;
  type: MetricType;
  labels: Labels;
  value: number;
}

export function parsePush(text: string): { samples: PushSample[]; errors: string[] } {
  const parsed = parseText(text, { collectErrors: true });
  const errors = parsed.errors.map((e) => ({ line: e.line, text: `line ${e.line}: ${e.message}` }));
  const samples: Array<PushSample & { line: number }> = [];
  for (const fam of parsed.families) {
    for (const s of fam.samples) {
      if (fam.type === 'histogram' || fam.type === 'summary') errors.push({ line: s.line, text: `line ${s.line}: ${fam.type} ${fam.name} is not accepted by push` });
      else if (s.timestampMs !== undefined) errors.push({ line: s.line, text: `line ${s.line}: timestamps are not accepted by push` });
      else samples.push({ name: s.name, type: fam.type ?? 'gauge', labels: s.labels, value: s.value, line: s.line });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  samples.sort((a, b) => a.line - b.line);
  return { samples: samples.map(({ line: _line, ...s }) => s), errors: errors.map((e) => e.text) };
}
