/**
 * Connection limits of the aggregator's listener: a cap on open connections kept below the process's file
 * descriptor limit (so the cap engages before accept fails with EMFILE and the state files can still be opened), a
 * cap per client address (one client cannot take every slot), and an idle timeout. Refusals are counted by reason
 * and logged at most once per interval with their number.
 */
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { clientAddress } from '../core/connection-limits';

/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits; undefined where it cannot be read. */
export function openFilesLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m || m[1] === 'unlimited') return undefined;
  return Number(m[1]);
}

/** The connection cap: the configured one, held to the fd limit less a reserve (a fifth, at least 64) for files and outgoing sockets. */
export function connectionCap(configured: number, fdLimit = openFilesLimit()): number {
  if (fdLimit === undefined) return configured;
  return Math.max(1, Math.min(configured, fdLimit - Math.max(64, Math.ceil(fdLimit / 5))));
}

export interface ConnectionLimitsOptions {
  maxConnections: number;
  maxPerAddress: number;
  idleTimeoutMs: number;
  log: Logger;
  /** Counts a refusal (reason `total` or `per_address`). */
  onRefuse: (reason: 'total' | 'per_address') => void;
  /** Shortest time between two log lines about refusals (default 10 s). */
  logEveryMs?: number;
}

export class ConnectionLimits {
  readonly #opts: ConnectionLimitsOptions;
  readonly #perAddress = new Map<string, number>();
  #open = 0;
  #refusedSinceLog = 0;
  #lastLogMs = 0;

  constructor(opts: ConnectionLimitsOptions) {
    this.#opts = opts;
  }

  get maxConnections(): number {
    return this.#opts.maxConnections;
  }

  get open(): number {
    return this.#open;
  }

  /** Admits a new connection or says to close it (counted); an admitted one is tracked until it closes. */
  admit(s: Socket): boolean {
    const addr = clientAddress(s);
    const mine = this.#perAddress.get(addr) ?? 0;
    if (this.#open >= this.#opts.maxConnections) return this.#refuse('total', addr);
    if (mine >= this.#opts.maxPerAddress) return this.#refuse('per_address', addr);
    this.#open++;
    this.#perAddress.set(addr, mine + 1);
    s.setTimeout(this.#opts.idleTimeoutMs, () => s.destroy());
    s.once('close', () => {
      this.#open--;
      const n = (this.#perAddress.get(addr) ?? 1) - 1;
      if (n <= 0) this.#perAddress.delete(addr);
      else this.#perAddress.set(addr, n);
    });
    return true;
  }

  #refuse(reason: 'total' | 'per_address', addr: string): false {
    this.#opts.onRefuse(reason);
    this.#refusedSinceLog++;
    const now = Date.now();
    if (now - this.#lastLogMs >= (this.#opts.logEveryMs ?? 10_000)) {
      this.#opts.log.warn(
        { refused: this.#refusedSinceLog, reason, client: addr, open: this.#open, max_connections: this.#opts.maxConnections, max_per_address: this.#opts.maxPerAddress },
        'Refusing connections: the aggregator is at its connection limit.',
      );
      this.#refusedSinceLog = 0;
      this.#lastLogMs = now;
    }
    return false;
  }
}
