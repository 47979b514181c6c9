/**
 * The `promtool test rules` file format, read for the engine's side of the comparison: input series in the
 * expanding notation (`0+10x5`, `_x3`, `stale`), and promql_expr_test cases with their expected samples.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Labels } from '../../agent/store/types';
import { parseExpr } from '../../agent/query/parse';
import { parseDurationMs } from '../../agent/query/literals';
import { MemoryHistory, type PointValue } from './memory-history';

export interface ExprCase {
  expr: string;
  evalMs: number;
  expected: { labels: Labels; value: number }[];
}

export interface TestGroup {
  name: string;
  history: MemoryHistory;
  cases: ExprCase[];
}

export function seriesLabels(text: string): Labels {
  const t = text.trim();
  if (t === '' || t === '{}') return {};
  const e = parseExpr(t);
  if (e.kind !== 'vector') throw new Error(`not a series: ${text}`);
  const out: Record<string, string> = {};
  for (const m of e.matchers) out[m.name] = m.value;
  return out;
}

function num(text: string): number {
  const n = Number(text.replace(/^\+?inf$/i, 'Infinity').replace(/^-inf$/i, '-Infinity'));
  if (Number.isNaN(n) && text.toLowerCase() !== 'nan') throw new Error(`bad value ${text}`);
  return n;
}

/** Expands the values notation into one entry per interval: a number, 'stale', or undefined (no sample). */
export function expandValues(text: string): (PointValue | undefined)[] {
  const out: (PointValue | undefined)[] = [];
  for (const item of text.trim().split(/\s+/).filter(Boolean)) {
    let m: RegExpMatchArray | null;
    if (item === '_') out.push(undefined);
    else if (item === 'stale') out.push('stale');
    else if ((m = /^_x(\d+)$/.exec(item))) for (let i = 0; i < Number(m[1]); i++) out.push(undefined);
    else if ((m = /^([-+]?[^-+x]+(?:e[-+]?\d+)?)([-+])([^x]+)x(\d+)$/i.exec(item))) {
      const a = num(m[1]!);
      const b = num(m[3]!) * (m[2] === '-' ? -1 : 1);
      for (let i = 0; i <= Number(m[4]); i++) out.push(a + b * i);
    } else if ((m = /^([^x]+)x(\d+)$/.exec(item))) {
      for (let i = 0; i <= Number(m[2]); i++) out.push(num(m[1]!));
    } else out.push(num(item));
  }
  return out;
}

function duration(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDurationMs(String(text));
  if (ms === undefined) throw new Error(`bad duration ${text}`);
  return ms;
}

interface RawFile {
  evaluation_interval?: string;
  tests: {
    name?: string;
    interval?: string;
    input_series: { series: string; values: string }[];
    promql_expr_test?: { expr: string; eval_time: string; exp_samples?: { labels?: string; value: number | string }[] }[];
  }[];
}

export function loadTestFile(path: string): TestGroup[] {
  const raw = parse(readFileSync(path, 'utf8')) as RawFile;
  const evalInterval = duration(raw.evaluation_interval, 60_000);
  return raw.tests.map((t, i) => {
    const interval = duration(t.interval, evalInterval);
    const history = new MemoryHistory(interval);
    for (const s of t.input_series) {
      const points: [number, PointValue][] = [];
      expandValues(String(s.values)).forEach((v, j) => {
        if (v !== undefined) points.push([j * interval, v]);
      });
      history.add(seriesLabels(s.series), points);
    }
    const cases = (t.promql_expr_test ?? []).map((c) => ({
      expr: c.expr,
      evalMs: duration(c.eval_time, 0),
      expected: (c.exp_samples ?? []).map((e) => ({ labels: seriesLabels(e.labels ?? ''), value: typeof e.value === 'number' ? e.value : num(String(e.value)) })),
    }));
    return { name: t.name ?? `group ${i}`, history, cases };
  });
}
