/**
 * Parser for the push endpoint: Prometheus text exposition lines `name{label="value",...} value` with optional
 * `# TYPE name counter|gauge` lines (default gauge). Summaries, histograms and timestamps are not accepted here.
 */
import type { Labels, MetricType } from '../../store/types';

export interface PushSample {
  name: string;
  type: MetricType;
  labels: Labels;
  value: number;
}

const lineRe = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)\s*$/;
const labelRe = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

export function parsePush(text: string): { samples: PushSample[]; errors: string[] } {
  const types = new Map<string, MetricType>();
  const samples: PushSample[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(counter|gauge|untyped)\s*$/.exec(line);
      if (m) types.set(m[1]!, m[2] as MetricType);
      continue;
    }
    const m = lineRe.exec(line);
    if (!m) {
      errors.push(`line ${n + 1}: not "name{labels} value"`);
      continue;
    }
    const labels: Record<string, string> = {};
    if (m[2]) {
      labelRe.lastIndex = 0;
      let pos = 0;
      const body = m[2];
      while (pos < body.length) {
        labelRe.lastIndex = pos;
        const lm = labelRe.exec(body);
        if (!lm) break;
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        pos = labelRe.lastIndex;
      }
      if (pos < body.trim().length) {
        errors.push(`line ${n + 1}: bad labels`);
        continue;
      }
    }
    const value = Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') {
      errors.push(`line ${n + 1}: bad value ${JSON.stringify(m[3])}`);
      continue;
    }
    samples.push({ name: m[1]!, type: types.get(m[1]!) ?? 'gauge', labels, value });
  }
  return { samples, errors };
}
