/**
 * Who may talk to the aggregator: bearer tokens, compared in constant time, each bound to what it may do, and the
 * rule that an aggregator without tokens serves loopback only.
 *
 * A token entry (a line of `aggregator.tokens_file`, or an item of `aggregator.tokens`) is the token, then what it
 * grants, separated by blanks:
 *
 *   TOKEN                     any agent id, and reads (the one-token-per-line format: every agent shares it)
 *   TOKEN *                   the same, spelled out
 *   TOKEN web-17 web-18       only batches whose agent id is one of these (no reads)
 *   TOKEN web-*               agent ids starting with `web-`
 *   TOKEN @read               reads only: /metrics, /api/v1/series, /api/v1/agents, /api/v1/status, /api/v1/events
 *   TOKEN @read web-17        both
 *
 * A token bound to agent ids cannot write under any other id, so no other token holder can mark another agent's
 * batches applied (or make its later ones look like duplicates).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OutriderError } from '../core/errors';

const isLoopback = (host: string) => host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');

/** What one token allows. */
export interface Grant {
  /** Batches under any agent id. */
  anyAgent: boolean;
  /** Agent ids allowed exactly, and prefixes (from `prefix*`). */
  agents: ReadonlySet<string>;
  prefixes: readonly string[];
  /** The read endpoints. */
  read: boolean;
}

/** The grant a token entry spells (see the file comment); throws OUTRIDER_ERR_AGG_BAD_TOKEN on an empty entry. */
export function parseTokenEntry(entry: string): { token: string; grant: Grant } {
  const words = entry
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const token = words.shift();
  if (!token) throw new OutriderError('OUTRIDER_ERR_AGG_BAD_TOKEN', 'a token entry is empty');
  const agents = new Set<string>();
  const prefixes: string[] = [];
  let read = words.length === 0;
  let anyAgent = words.length === 0;
  for (const w of words) {
    if (w === '@read') read = true;
    else if (w === '*') anyAgent = read = true;
    else if (w.endsWith('*')) prefixes.push(w.slice(0, -1));
    else agents.add(w);
  }
  return { token, grant: { anyAgent, agents, prefixes, read } };
}

/** Whether a grant lets its holder send batches as `agentId`. */
export function grantsAgent(g: Grant, agentId: string): boolean {
  return g.anyAgent || g.agents.has(agentId) || g.prefixes.some((p) => agentId.startsWith(p));
}

/** The grant of a request with no tokens configured (loopback only): anything. */
const OPEN: Grant = { anyAgent: true, agents: new Set(), prefixes: [], read: true };

export class BearerTokens {
  /** SHA-256 of each token: every comparison then has the same length. */
  readonly #hashes: Buffer[];
  readonly #grants: Grant[];
  readonly #publicReads: boolean;

  /**
   * Throws OUTRIDER_ERR_AGG_NO_TOKENS for an empty token list with a listen address off loopback. With
   * `publicReads`, the read endpoints need no token.
   */
  constructor(entries: readonly string[], listen: string, publicReads = false) {
    const host = listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (entries.length === 0 && !isLoopback(host)) {
      throw new OutriderError('OUTRIDER_ERR_AGG_NO_TOKENS', `refusing to listen on ${listen} without tokens: set --tokens-file (or aggregator.tokens), or listen on loopback`);
    }
    const parsed = entries.map(parseTokenEntry);
    this.#hashes = parsed.map((p) => createHash('sha256').update(p.token).digest());
    this.#grants = parsed.map((p) => p.grant);
    this.#publicReads = publicReads;
  }

  /** Whether any local client is accepted (no tokens configured, loopback only). */
  get open(): boolean {
    return this.#hashes.length === 0;
  }

  /** How many tokens may send as any agent (the one-token-per-line format). */
  get unbound(): number {
    return this.#grants.filter((g) => g.anyAgent).length;
  }

  /** The grant of the request's token (anything when no token is configured); undefined without a valid one. */
  grant(req: IncomingMessage): Grant | undefined {
    if (this.#hashes.length === 0) return OPEN;
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return undefined;
    const got = createHash('sha256').update(h.slice(7).trim()).digest();
    // timingSafeEqual over every token, whichever matches: the time does not say which one did.
    let found = -1;
    for (let i = 0; i < this.#hashes.length; i++) if (timingSafeEqual(got, this.#hashes[i]!) && found < 0) found = i;
    return found < 0 ? undefined : this.#grants[found];
  }

  /** Whether the request carries a token that may send batches (as some agent). */
  authorized(req: IncomingMessage): boolean {
    const g = this.grant(req);
    return g !== undefined && (g.anyAgent || g.agents.size > 0 || g.prefixes.length > 0);
  }

  /** Whether the request may use the read endpoints. */
  mayRead(req: IncomingMessage): boolean {
    return this.#publicReads || this.grant(req)?.read === true;
  }
}
