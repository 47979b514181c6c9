/**
 * One path element of a Go filepath.Glob / filepath.Match pattern as a RegExp: `*` and `?` within the element, `[...]`
 * classes with `^` negation and ranges, `\` escapes. Prometheus's rule_files and node_exporter's textfile
 * directories take this syntax.
 */

/** One path element's pattern as a RegExp; undefined when the pattern is malformed (an unclosed `[`, a trailing `\`). */
export function elementPattern(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      re += escape(pattern[++i]!);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let closed = false;
      let first = true;
      for (; j < pattern.length; j++) {
        const d = pattern[j]!;
        if (d === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (d === '\\') {
          if (j + 1 >= pattern.length) return undefined;
          cls += escape(pattern[++j]!);
        } else if (d === '-') cls += '-';
        else cls += escape(d);
      }
      if (!closed || cls === '' || cls === '^') return undefined;
      re += `[${cls}]`;
      i = j;
    } else re += escape(c);
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return undefined;
  }
}

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
