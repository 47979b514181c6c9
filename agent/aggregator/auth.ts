/**
 * Who may talk to the aggregator: bearer tokens, compared in constant time, and the rule that an aggregator without
 * tokens serves loopback only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OutriderError } from '../core/errors';

const isLoopback = (host: string) => host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');

export class BearerTokens {
  /** SHA-256 of each token: every comparison then has the same length. */
  readonly #hashes: Buffer[];

  /** Throws OUTRIDER_ERR_AGG_NO_TOKENS for an empty token list with a listen address off loopback. */
  constructor(tokens: readonly string[], listen: string) {
    const host = listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (tokens.length === 0 && !isLoopback(host)) {
      throw new OutriderError('OUTRIDER_ERR_AGG_NO_TOKENS', `refusing to listen on ${listen} without tokens: set --tokens-file (or aggregator.tokens), or listen on loopback`);
    }
    this.#hashes = tokens.map((t) => createHash('sha256').update(t).digest());
  }

  /** Whether any local client is accepted (no tokens configured, loopback only). */
  get open(): boolean {
    return this.#hashes.length === 0;
  }

  /** Whether the request carries one of the tokens (always, when none is configured). */
  authorized(req: IncomingMessage): boolean {
    if (this.#hashes.length === 0) return true;
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return false;
    const got = createHash('sha256').update(h.slice(7).trim()).digest();
    // timingSafeEqual over every token, whichever matches.
    let ok = false;
    for (const t of this.#hashes) ok = timingSafeEqual(got, t) || ok;
    return ok;
  }
}
