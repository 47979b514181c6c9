/**
 * Static files served from the package (pages of the agent and the aggregator): each read and gzipped once, on
 * first request, and served with an ETag (If-None-Match answers 304), `Cache-Control: no-cache` (revalidate) and
 * the security headers the caller gives (a strict Content-Security-Policy).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { HttpServer } from '../core/http-server';

export interface StaticFile {
  type: string;
  load: () => Buffer;
}

interface Loaded {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Scripts, styles and data only from the server itself; nothing inline, no frames, no forms. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export function acceptsGzip(req: IncomingMessage): boolean {
  const ae = req.headers['accept-encoding'];
  if (!ae) return false;
  return ae.split(',').some((p) => {
    const [enc, ...params] = p
      .trim()
      .split(';')
      .map((x) => x.trim());
    const q = params.find((x) => x.startsWith('q='));
    return (enc === 'gzip' || enc === '*') && !(q && Number(q.slice(2)) === 0);
  });
}

export class StaticFiles {
  readonly #list: Readonly<Record<string, StaticFile>>;
  readonly #loaded = new Map<string, Loaded>();

  /** `list`: URL path → file; the whole allow-list (nothing else is served). */
  constructor(list: Readonly<Record<string, StaticFile>>) {
    this.#list = list;
  }

  get paths(): string[] {
    return Object.keys(this.#list);
  }

  get(path: string): Loaded | undefined {
    let a = this.#loaded.get(path);
    if (a) return a;
    const def = this.#list[path];
    if (!def) return undefined;
    const body = def.load();
    // node:crypto loads with the first page served, not at every start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    a = { type: def.type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    this.#loaded.set(path, a);
    return a;
  }

  mount(server: HttpServer): void {
    for (const p of this.paths) server.route('GET', p, (req, res) => this.serve(p, req, res));
  }

  serve(path: string, req: IncomingMessage, res: ServerResponse): void {
    const a = this.get(path)!;
    const headers: Record<string, string | number> = { ...securityHeaders, 'Content-Type': a.type, ETag: a.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' };
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === a.etag || t.trim() === 'W/' + a.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gz = acceptsGzip(req);
    const body = gz ? a.gzip : a.body;
    if (gz) headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Bytes a first visit transfers with gzip (every file). */
  transferBytes(): number {
    let n = 0;
    for (const p of this.paths) n += this.get(p)!.gzip.length;
    return n;
  }
}
