/** `statsd.listen` URLs: udp://HOST:PORT (IPv4, [IPv6]) and unix:///absolute/path. */

export type ListenSpec = { kind: 'udp'; host: string; port: number; family: 4 | 6; url: string } | { kind: 'unix'; path: string; url: string };

export function parseListenUrl(text: string): ListenSpec | string {
  const t = text.trim();
  if (t.startsWith('unix://')) {
    const path = t.slice('unix://'.length);
    if (!path.startsWith('/')) return `${JSON.stringify(text)}: a unix:// listener needs an absolute path, e.g. unix:///var/run/outrider/dsd.socket`;
    if (Buffer.byteLength(path) > 107) return `${JSON.stringify(text)}: a Unix socket path must be at most 107 bytes`;
    return { kind: 'unix', path, url: t };
  }
  const m = /^udp:\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/.exec(t);
  if (!m) return `${JSON.stringify(text)}: expected udp://HOST:PORT, udp://[IPv6]:PORT or unix:///path`;
  const port = Number(m[3]);
  if (port > 65535) return `${JSON.stringify(text)}: port must be at most 65535`;
  const host = m[1] ?? m[2]!;
  const family = m[1] !== undefined ? 6 : 4;
  if (family === 4 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host) && host !== 'localhost') return `${JSON.stringify(text)}: HOST must be an IP address (or localhost)`;
  return { kind: 'udp', host: host === 'localhost' ? '127.0.0.1' : host, port, family, url: t };
}

export function checkListenUrls(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'a list of udp://HOST:PORT or unix:///path URLs';
  const problems: string[] = [];
  for (const v of value) {
    const r = parseListenUrl(String(v));
    if (typeof r === 'string') problems.push(r);
  }
  return problems.length ? problems.join('; ') : undefined;
}
