/**
 * Before a reload replaces the StatsD component: can the new configuration's UDP listeners that the running one does
 * not hold already be bound? A port in use would otherwise be found only after the old listeners were closed, leaving
 * StatsD down; with this check the reload is refused and the old listeners keep receiving. (A port taken between the
 * check and the bind is still possible: the composition root then restores the old configuration.)
 */
import dgram from 'node:dgram';
import type { Config } from '../../config/config';
import { optionsFrom } from './options';

/** Undefined when every new UDP listener can be bound now, else why the first cannot. */
export async function statsdReloadProblem(prev: Config, next: Config): Promise<string | undefined> {
  const n = optionsFrom(next);
  if (!n.enabled) return undefined;
  const p = optionsFrom(prev);
  // Ports the running listeners hold are theirs to hand over (the old component closes them first).
  const held = new Set(p.enabled ? p.listen.map((l) => (l.kind === 'udp' ? l.port : -1)) : []);
  for (const l of n.listen) {
    if (l.kind !== 'udp' || l.port === 0 || held.has(l.port)) continue;
    const err = await tryBind(l.host, l.port, l.family);
    if (err) return `statsd.listen ${l.url}: ${err}`;
  }
  return undefined;
}

function tryBind(host: string, port: number, family: 4 | 6): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.close();
      resolve(err.code ?? err.message);
    });
    s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}
