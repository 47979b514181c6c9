/**
 * A small parser for the Prometheus text exposition format (0.0.4), enough to compare two exporters' output:
 * HELP/TYPE lines, samples with escaped label values, +Inf/-Inf/NaN, optional timestamps.
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string | undefined;
  type: string | undefined;
  samples: ParsedSample[];
}

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`bad sample value ${JSON.stringify(s)}`);
  return v;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses `{a="b",c="d"}` starting at `i` (at the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`bad label set in ${JSON.stringify(line)}`);
    const name = line.slice(i, eq).trim();
    let j = eq + 2;
    let value = '';
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        j++;
        value += line[j] === 'n' ? '\n' : line[j];
      } else {
        value += line[j];
      }
    }
    if (j >= line.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
    labels[name] = value;
    i = j + 1;
  }
}

/** Families by name; samples of a histogram/summary (`_bucket`, `_sum`, `_count`) stay under their family. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  const fams = new Map<string, ParsedFamily>();
  const get = (name: string): ParsedFamily => {
    let f = fams.get(name);
    if (!f) {
      f = { name, help: undefined, type: undefined, samples: [] };
      fams.set(name, f);
    }
    return f;
  };
  let current: ParsedFamily | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s?(.*)$/.exec(line);
      if (!m) continue;
      current = get(m[2]!);
      if (m[1] === 'HELP') current.help = unescapeHelp(m[3]!);
      else current.type = m[3]!.trim();
      continue;
    }
    const nameEnd = line.search(/[{\s]/);
    const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
    let labels: Record<string, string> = {};
    let rest = nameEnd < 0 ? '' : line.slice(nameEnd);
    if (rest.startsWith('{')) {
      const [l, end] = parseLabels(line, nameEnd);
      labels = l;
      rest = line.slice(end);
    }
    const parts = rest.trim().split(/\s+/);
    const sample = { name, labels, value: parseValue(parts[0]!) };
    const base = current && (name === current.name || /^(.*)_(bucket|sum|count)$/.exec(name)?.[1] === current.name) ? current : get(name);
    base.samples.push(sample);
  }
  return fams;
}

/** Canonical text of a label set (names sorted), for keying series. */
export function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}
