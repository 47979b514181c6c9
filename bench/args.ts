/** A benchmark's `--key=value` arguments (`--flag` alone reads as ''); the value keeps any '=' after the first. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): Record<string, string> {
  return Object.fromEntries(
    argv.map((a) => {
      const [k, ...v] = a.replace(/^--/, '').split('=');
      return [k!, v.join('=')];
    }),
  );
}
