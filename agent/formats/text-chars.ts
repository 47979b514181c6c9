/** The character classes and plain-decimal reading shared by the text format's readers (parse.ts over text, parse-bytes.ts over bytes). */

/** A metric or label name's first character: `a-z A-Z _ :`. */
export function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

/** A name's later characters: a first character or a digit. */
export function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

/** A space or a tab. */
export function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** 10^k for k ≤ 22: every one is an exact double. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A plain decimal `-?digits[.digits]` of at most 15 characters, read without a string: the digits make an
 * exact integer and one division by an exact power of ten rounds correctly, so the result is what `Number` gives.
 * Undefined for anything else (the caller then reads it with `parseValue`).
 */
export function readDecimal(s: string, i: number, e: number): number | undefined {
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  if (i >= e || e - i > 15) return undefined;
  let m = 0;
  let frac = -1;
  for (let k = i; k < e; k++) {
    const c = s.charCodeAt(k);
    if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else if (c === 46 && frac < 0 && k > i && k < e - 1) frac = e - k - 1;
    else return undefined;
  }
  const v = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -v : v;
}

/** What `readDecimal` reads, from bytes: a plain decimal of at most 15 characters, else undefined. */
export function readDecimalBytes(dv: DataView, i: number, e: number): number | undefined {
  let neg = false;
  if (dv.getUint8(i) === 45) {
    neg = true;
    i++;
  }
  if (i >= e || e - i > 15) return undefined;
  let m = 0;
  let frac = -1;
  for (let k = i; k < e; k++) {
    const c = dv.getUint8(k);
    if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else if (c === 46 && frac < 0 && k > i && k < e - 1) frac = e - k - 1;
    else return undefined;
  }
  const v = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -v : v;
}
