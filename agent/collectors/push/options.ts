/** The push listener's settings, parsed once, and the problem a configuration can have across keys. */
import type { Config } from '../../config/config';
import { parseHostPort } from '../../config/coerce';
import type { CrossProblem } from '../../config/cross';
import { optionsFrom as coreOptionsFrom, type CoreOptions } from '../../core/options';

export interface PushOptions {
  /** HOST:PORT as written; undefined: the listener is off. */
  listen: string | undefined;
  maxBodyBytes: number;
  /** The local endpoint's `http.*` timeouts and connection limits, which the push listener shares. */
  http: CoreOptions['http'];
}

export function optionsFrom(config: Config): PushOptions {
  const listen = config.string('push.listen');
  return { listen: listen === '' ? undefined : listen, maxBodyBytes: config.number('push.max_body'), http: coreOptionsFrom(config).http };
}

/** The push listener and the local endpoint cannot share one port (the second bind would fail at start). */
export function check(config: Config): CrossProblem[] {
  const push = optionsFrom(config).listen;
  if (push === undefined) return [];
  const a = parseHostPort(push);
  const b = parseHostPort(config.string('listen'));
  if (!a || !b || a.port === 0 || a.port !== b.port) return [];
  const any = (h: string) => h === '0.0.0.0' || h === '::';
  if (a.host !== b.host && !any(a.host) && !any(b.host)) return [];
  return [{ key: 'push.listen', value: push, expected: `an address other than listen (${config.string('listen')}): both would bind port ${a.port}` }];
}
