/**
 * Reading a /metrics body in tests: the agent's one text-format parser (agent/formats/parse), strict, with the
 * families keyed by name. A bad line fails the test with its line number.
 */
import { renderLabels } from '../../agent/formats/labels';
import { parseText, ParsedFamily, ParsedSample } from '../../agent/formats/parse';

export type { ParsedFamily, ParsedSample };

/** Families by name; samples of a histogram/summary (`_bucket`, `_sum`, `_count`) stay under their family. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  return new Map(parseText(text).families.map((f) => [f.name, f]));
}

/** Canonical text of a label set (names sorted), for keying series. */
export function labelKey(labels: Record<string, string>): string {
  return renderLabels(labels);
}
