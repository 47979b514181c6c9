/**
 * HTTP basic authentication against a web config's `basic_auth_users` (bcrypt hashes), as the exporter toolkit does
 * it: an unknown user still costs a bcrypt comparison (against a fixed hash), so timing does not tell which user
 * names exist; a pair that verified once is remembered by a SHA-256 of user, hash and password (a bounded cache), so
 * a scraper presenting the same credentials every few seconds does not pay bcrypt's cost each time; the remembered
 * digests are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type * as Bcrypt from 'bcryptjs';

/** Compared against when the user is unknown (a valid hash of a random password). */
const DECOY = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
const CACHE_MAX = 256;

/** The user name and password of a `Basic` Authorization header, or undefined. */
export function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return undefined;
  const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export class BasicAuth {
  readonly #users: ReadonlyMap<string, string>;
  /** Digests of pairs that verified, oldest first. */
  readonly #verified: Buffer[] = [];

  constructor(users: ReadonlyMap<string, string>) {
    this.#users = users;
  }

  get enabled(): boolean {
    return this.#users.size > 0;
  }

  /** Whether the request carries the credentials of a configured user. */
  async check(req: IncomingMessage): Promise<boolean> {
    if (!this.enabled) return true;
    const cred = basicCredentials(req);
    if (!cred) return false;
    const known = this.#users.get(cred.user);
    const hash = known ?? DECOY;
    const digest = createHash('sha256').update(cred.user).update('\0').update(hash).update('\0').update(cred.password).digest();
    let cached = false;
    for (const d of this.#verified) if (timingSafeEqual(d, digest)) cached = true;
    if (cached) return known !== undefined;
    // bcryptjs loads with the first basic-auth check: a server without basic_auth_users never loads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bcrypt = require('bcryptjs') as typeof Bcrypt;
    const ok = await bcrypt.compare(cred.password, hash);
    if (!ok || known === undefined) return false;
    this.#verified.push(digest);
    if (this.#verified.length > CACHE_MAX) this.#verified.shift();
    return true;
  }
}
