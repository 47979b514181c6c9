/**
 * What a unit's filesystem sandbox hides from its service, read from the unit's own [Service] directives:
 * PrivateTmp= gives the service empty /tmp and /var/tmp; ProtectHome=yes|tmpfs makes /home, /root and /run/user
 * empty (read-only leaves them visible); InaccessiblePaths= hides each path it lists. See systemd.exec(5).
 */

export interface Hidden {
  /** The directive as written in the unit, e.g. `PrivateTmp=yes`. */
  directive: string;
  /** The hidden directory that contains the path. */
  prefix: string;
}

const truthy = new Set(['yes', 'true', 'on', '1']);

/** [Service] key → last value (systemd: a later assignment wins; an empty one resets lists, not modelled here). */
function serviceValues(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inService = false;
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      inService = section[1] === 'Service';
      continue;
    }
    const eq = line.indexOf('=');
    if (!inService || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return out;
}

function under(path: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  return path === d || path.startsWith(`${d}/`);
}

/** The directive that hides `path` (absolute, normalised) from the unit's service, if any. */
export function hiddenBySandbox(unit: string, path: string): Hidden | undefined {
  const values = serviceValues(unit);
  const last = (k: string) => values.get(k)?.at(-1)?.toLowerCase();
  const rules: Array<[string, string[]]> = [];
  const privateTmp = last('PrivateTmp');
  if (privateTmp !== undefined && truthy.has(privateTmp)) rules.push([`PrivateTmp=${privateTmp}`, ['/tmp', '/var/tmp']]);
  const protectHome = last('ProtectHome');
  if (protectHome !== undefined && (truthy.has(protectHome) || protectHome === 'tmpfs')) rules.push([`ProtectHome=${protectHome}`, ['/home', '/root', '/run/user']]);
  for (const v of values.get('InaccessiblePaths') ?? []) {
    // A leading '-' only makes a missing path not an error; '+' is relative to RootDirectory=, not used here.
    const paths = v
      .split(/\s+/)
      .filter(Boolean)
      .map((p) => p.replace(/^-/, ''));
    rules.push([`InaccessiblePaths=${v}`, paths]);
  }
  for (const [directive, dirs] of rules) {
    const prefix = dirs.find((d) => under(path, d));
    if (prefix) return { directive, prefix };
  }
  return undefined;
}
