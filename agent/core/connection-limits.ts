/**
 * Connection limits of a local listener (the agent's endpoint, the push listener), so that slow or idle sockets
 * cannot lock a scraper out:
 *
 * - a cap on open connections and a lower cap per client address (one client cannot take every slot);
 * - `reserved` slots that only the reserved sources (loopback by default, or the scraper's configured addresses)
 *   may take, so a local scraper is served while others hold every general slot;
 * - when the listener is full, the newcomer takes the slot of the oldest idle connection — one with no request in
 *   progress: a half-open socket still sending its headers, or a keep-alive socket between requests — from a
 *   source that is not reserved. Slow sockets thus rotate among themselves while a client that sends its request at
 *   once gets in; a reserved source's connections are never evicted.
 *
 * Header and request timeouts are the HTTP server's (checked every `timeoutCheckMs`). Refusals are counted by
 * reason and evictions apart, and logged at most once per interval with their number.
 */
import { BlockList, isIP, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { CoreOptions } from './options';
import type { Telemetry } from './telemetry';

export type RefuseReason = 'max_connections' | 'per_address';

export interface ConnectionLimitsOptions {
  /** Listener name in log lines. */
  name: string;
  maxConnections: number;
  maxPerAddress: number;
  /** Slots only the reserved sources may take (kept below maxConnections). */
  reserved: number;
  /** Addresses or CIDR ranges (IPv4 or IPv6) whose connections may take reserved slots and are never evicted. */
  reservedSources: readonly string[];
  log: Logger;
  onRefuse?: (reason: RefuseReason) => void;
  onEvict?: () => void;
  /** Shortest time between two log lines about refusals (default 10 s). */
  logEveryMs?: number;
  now?: () => number;
}

interface Conn {
  socket: Socket;
  addr: string;
  reserved: boolean;
  /** Requests in progress on this connection (0: idle or still sending its first headers). */
  busy: number;
  /** When it was opened or last finished a request. */
  idleSinceMs: number;
}

/** The client's address, an IPv4-mapped IPv6 one written as IPv4. */
export function clientAddress(s: Socket): string {
  return (s.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** A matcher for addresses and CIDR ranges (entries already checked by `checkSource`). */
export function sourceMatcher(sources: readonly string[]): (addr: string) => boolean {
  const list = new BlockList();
  for (const src of sources) {
    const [ip, bits] = src.split('/');
    const family = isIP(ip ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip!, family);
    else list.addSubnet(ip!, Number(bits), family);
  }
  return (addr) => {
    const family = isIP(addr);
    return family !== 0 && list.check(addr, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** Why an address or CIDR list entry is malformed (for the config's checks), or undefined. */
export function checkSource(src: string): string | undefined {
  const [ip, bits, more] = src.split('/');
  const family = isIP(ip ?? '');
  if (family === 0 || more !== undefined) return `an IP address or CIDR range (got ${JSON.stringify(src)})`;
  if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32))) return `a prefix length of 0-${family === 6 ? 128 : 32} (got ${JSON.stringify(src)})`;
  return undefined;
}

export class ConnectionLimits {
  readonly #o: ConnectionLimitsOptions;
  readonly #isReserved: (addr: string) => boolean;
  readonly #conns = new Map<Socket, Conn>();
  readonly #perAddress = new Map<string, number>();
  readonly #now: () => number;
  /** Connections held by sources that are not reserved. */
  #unreserved = 0;
  #refusedSinceLog = 0;
  #lastLogMs = -Infinity;

  constructor(opts: ConnectionLimitsOptions) {
    this.#o = { ...opts, reserved: Math.max(0, Math.min(opts.reserved, opts.maxConnections - 1)) };
    this.#isReserved = sourceMatcher(opts.reservedSources);
    this.#now = opts.now ?? Date.now;
  }

  get maxConnections(): number {
    return this.#o.maxConnections;
  }

  /** Connections held now. */
  get open(): number {
    return this.#conns.size;
  }

  /** Admits a new connection or says to close it (counted); an admitted one is tracked until it closes. */
  admit(s: Socket): boolean {
    const addr = clientAddress(s);
    const reserved = this.#isReserved(addr);
    const mine = this.#perAddress.get(addr) ?? 0;
    if (mine >= this.#o.maxPerAddress) return this.#refuse('per_address', addr);
    if (!this.#fits(reserved) && !this.#evictOne()) return this.#refuse('max_connections', addr);
    const c: Conn = { socket: s, addr, reserved, busy: 0, idleSinceMs: this.#now() };
    this.#conns.set(s, c);
    if (!reserved) this.#unreserved++;
    this.#perAddress.set(addr, mine + 1);
    s.once('close', () => this.#forget(c));
    return true;
  }

  /** A request started on `s` (its headers arrived). */
  requestStarted(s: Socket): void {
    const c = this.#conns.get(s);
    if (c) c.busy++;
  }

  /** A request on `s` is answered or abandoned. */
  requestEnded(s: Socket): void {
    const c = this.#conns.get(s);
    if (!c) return;
    c.busy = Math.max(0, c.busy - 1);
    c.idleSinceMs = this.#now();
  }

  /** Whether a newcomer fits: anyone in the whole cap, an unreserved source only outside the reserved slots. */
  #fits(reserved: boolean): boolean {
    if (this.#conns.size >= this.#o.maxConnections) return false;
    return reserved || this.#unreserved < this.#o.maxConnections - this.#o.reserved;
  }

  /** Closes the oldest idle connection of an unreserved source (which frees a slot for anyone); false when none. */
  #evictOne(): boolean {
    let victim: Conn | undefined;
    for (const c of this.#conns.values()) {
      if (c.reserved || c.busy > 0) continue;
      if (!victim || c.idleSinceMs < victim.idleSinceMs) victim = c;
    }
    if (!victim) return false;
    this.#forget(victim);
    victim.socket.destroy();
    this.#o.onEvict?.();
    return true;
  }

  #forget(c: Conn): void {
    if (this.#conns.get(c.socket) !== c) return;
    this.#conns.delete(c.socket);
    if (!c.reserved) this.#unreserved--;
    const n = (this.#perAddress.get(c.addr) ?? 1) - 1;
    if (n <= 0) this.#perAddress.delete(c.addr);
    else this.#perAddress.set(c.addr, n);
  }

  #refuse(reason: RefuseReason, addr: string): false {
    this.#o.onRefuse?.(reason);
    this.#refusedSinceLog++;
    const now = this.#now();
    if (now - this.#lastLogMs >= (this.#o.logEveryMs ?? 10_000)) {
      this.#o.log.warn(
        { listener: this.#o.name, refused: this.#refusedSinceLog, reason, client: addr, open: this.#conns.size, max_connections: this.#o.maxConnections, max_per_address: this.#o.maxPerAddress },
        'Refusing connections: the listener is at its connection limit.',
      );
      this.#refusedSinceLog = 0;
      this.#lastLogMs = now;
    }
    return false;
  }
}

/** The limits of a local listener from the `http.*` options, counted in the agent's telemetry under `listener`. */
export function listenerLimits(listener: string, http: CoreOptions['http'], log: Logger, telemetry: Telemetry): ConnectionLimits {
  const refused = telemetry.counter(
    'outrider_http_connections_refused_total',
    'Connections a local listener closed at once, by listener and reason (max_connections: full with nothing to evict; per_address: http.max_connections_per_address).',
    ['listener', 'reason'],
  );
  const evicted = telemetry.counter('outrider_http_connections_evicted_total', 'Idle connections (half-open or between requests) a local listener closed to make room for a new one, by listener.', [
    'listener',
  ]);
  for (const reason of ['max_connections', 'per_address']) refused.inc({ listener, reason }, 0);
  evicted.inc({ listener }, 0);
  return new ConnectionLimits({
    name: listener,
    maxConnections: http.maxConnections,
    maxPerAddress: http.maxConnectionsPerAddress,
    reserved: http.reservedConnections,
    reservedSources: http.reservedSources,
    log,
    onRefuse: (reason) => refused.inc({ listener, reason }),
    onEvict: () => evicted.inc({ listener }),
  });
}
