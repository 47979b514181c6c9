/** Prometheus durations as rule files write them (`5m`, `1h30m`, `2d`, `500ms`, `0`). */
const re = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const unitMs = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Milliseconds, or undefined when `s` is not a Prometheus duration. */
export function parseDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const m = re.exec(s);
  if (!m || s === '') return undefined;
  let ms = 0;
  for (let i = 0; i < unitMs.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * unitMs[i]!;
  return ms;
}

/** Prometheus's spelling of a duration (`1h5m`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  let rest = ms;
  const names = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  for (let i = 0; i < unitMs.length; i++) {
    const n = Math.floor(rest / unitMs[i]!);
    if (n > 0) out += `${n}${names[i]}`;
    rest -= n * unitMs[i]!;
  }
  return out;
}
