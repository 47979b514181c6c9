/**
 * A check across keys for listeners: two TCP listeners of the agent on one port (the same host, or either on a
 * wildcard address) pass every key's own check, and then the second bind fails at start or at a reload. Which keys
 * are listeners, and when each is on, is the caller's knowledge (the key set's assembler); this module knows none.
 */
import type { Config } from './config';
import { parseHostPort } from './coerce';
import type { CrossProblem } from './cross';

export interface ListenerKey {
  key: string;
  /** Whether the listener is on in this config (default: its value is not empty). */
  active?: (config: Config) => boolean;
}

const wildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '' || h === '[::]';

/** Pairs of listeners that would bind the same port; `skip` names pairs another check already reports ("a|b"). */
export function listenerClashes(listeners: readonly ListenerKey[], skip: ReadonlySet<string> = new Set()): (config: Config) => CrossProblem[] {
  return (config) => {
    const on: Array<{ key: string; value: string; host: string; port: number }> = [];
    for (const l of listeners) {
      const value = config.string(l.key);
      if (value === '' || (l.active && !l.active(config))) continue;
      const hp = parseHostPort(value);
      if (!hp || hp.port === 0) continue;
      on.push({ key: l.key, value, host: hp.host, port: hp.port });
    }
    const out: CrossProblem[] = [];
    for (let i = 0; i < on.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = on[j]!;
        const b = on[i]!;
        if (a.port !== b.port || skip.has(`${a.key}|${b.key}`)) continue;
        if (a.host !== b.host && !wildcard(a.host) && !wildcard(b.host)) continue;
        out.push({ key: b.key, value: b.value, expected: `an address other than ${a.key} (${a.value}): both would bind port ${b.port}` });
        break;
      }
    }
    return out;
  };
}
