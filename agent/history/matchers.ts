/**
 * Label matchers with Prometheus's semantics: `=`, `!=`, `=~`, `!~`; regular expressions are fully anchored; a
 * label a series does not have reads as the empty string, so a matcher that matches "" also matches a series
 * without that label. A selector must hold at least one matcher that does not match "" (else it would select every
 * series), as Prometheus requires.
 */
import { OutriderError } from '../core/errors';
import type { Labels } from '../store/types';
import type { LabelMatcher } from './types';

/** Longest regular expression accepted in a matcher (bounds compile cost on hostile input). */
export const MAX_REGEX_LENGTH = 4096;

export interface CompiledMatcher {
  readonly name: string;
  readonly type: LabelMatcher['type'];
  readonly value: string;
  matches(v: string): boolean;
}

export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  if (m.type === '=') return { ...m, matches: (v) => v === m.value };
  if (m.type === '!=') return { ...m, matches: (v) => v !== m.value };
  if (m.type !== '=~' && m.type !== '!~') throw new OutriderError('OUTRIDER_ERR_HISTORY_MATCHER', `unknown match type ${JSON.stringify(m.type)}`);
  if (m.value.length > MAX_REGEX_LENGTH) throw new OutriderError('OUTRIDER_ERR_HISTORY_MATCHER', `regular expression for label ${m.name} is longer than ${MAX_REGEX_LENGTH} characters`);
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.value})$`, 's');
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_HISTORY_MATCHER', `invalid regular expression for label ${m.name}: ${(err as Error).message}`);
  }
  const negate = m.type === '!~';
  return { ...m, matches: (v) => re.test(v) !== negate };
}

/**
 * Compiles a selector's matchers and checks that one of them does not match the empty string; throws an
 * OutriderError (OUTRIDER_ERR_HISTORY_SELECTOR) otherwise.
 */
export function compileSelector(matchers: readonly LabelMatcher[]): CompiledMatcher[] {
  const compiled = matchers.map(compileMatcher);
  if (!compiled.some((m) => !m.matches(''))) {
    throw new OutriderError('OUTRIDER_ERR_HISTORY_SELECTOR', 'a selector needs at least one matcher that does not match the empty string');
  }
  return compiled;
}

export function matchesAll(compiled: readonly CompiledMatcher[], labels: Labels): boolean {
  for (const m of compiled) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}
