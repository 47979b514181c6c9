/**
 * Replay of spooled records straight from the segment file to the socket: a minimal HTTP/1.1 client on one
 * keep-alive connection writes the request head, then hands the record's byte range to the addon's sendfile
 * (`agent/native/sendfile.ts`; its stream twin when the addon is not loaded), then reads the answer. The record on
 * disk is the request body, so nothing is read into JavaScript memory. Plain http only (https endpoints use the
 * undici transport with a read of the record). One request at a time; the caller falls back to the undici path
 * while it is busy.
 *
 * A byte range may hold several consecutive records (a run, `spool/runs.ts`): the aggregator then applies each frame
 * once and answers with one outcome per frame (docs/protocol.md, "Several frames in one body"), returned as
 * `{kind: 'frames'}`.
 */
import net from 'node:net';
import { sendFile } from '../native/sendfile';
import { BATCH_CONTENT_TYPE, FrameAnswer, ingestPath, parseFrameAnswers } from '../wire/ingest';
import { classifyStatus, SendResult } from './send-result';
import { STALLED } from './stall-watch';

export type FramesResult = SendResult | { kind: 'frames'; results: FrameAnswer[] };

const MAX_HEAD = 16 * 1024;
const MAX_BODY = 1024 * 1024;

export class FileTransport {
  readonly #host: string;
  readonly #port: number;
  readonly #head: string;
  readonly #timeoutMs: number;
  #socket: net.Socket | undefined;
  busy = false;

  /** Undefined for endpoints it cannot serve (https). */
  static for(endpoint: string, token: string | undefined, agentId: string, timeoutMs: number): FileTransport | undefined {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:') return undefined;
    return new FileTransport(u, token, agentId, timeoutMs);
  }

  private constructor(u: URL, token: string | undefined, agentId: string, timeoutMs: number) {
    this.#host = u.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(u.port || 80);
    this.#timeoutMs = timeoutMs;
    const path = ingestPath(u);
    this.#head =
      `POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: ${BATCH_CONTENT_TYPE}\r\nX-Outrider-Agent: ${encodeURIComponent(agentId)}\r\n` +
      (token ? `Authorization: Bearer ${token}\r\n` : '') +
      'Connection: keep-alive\r\n';
  }

  async #connect(): Promise<net.Socket> {
    if (this.#socket && !this.#socket.destroyed && this.#socket.writable) return this.#socket;
    const s = net.connect({ host: this.#host, port: this.#port });
    s.setNoDelay(true);
    s.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    this.#socket = s;
    return s;
  }

  /** Sends `length` bytes of `path` at `offset` (one frame) as the request body. Never throws. */
  async send(path: string, offset: number, length: number, signal?: AbortSignal): Promise<SendResult> {
    const r = await this.sendFrames(path, offset, length, signal);
    return r.kind === 'frames' ? { kind: 'retryable', reason: 'unexpected answer to one frame' } : r;
  }

  /**
   * Sends a byte range of one or more frames; a 2xx listing per-frame outcomes gives `{kind: 'frames'}`; `signal`
   * abandons it (a stall watch that found the aggregator stalled). Never throws.
   */
  async sendFrames(path: string, offset: number, length: number, signal?: AbortSignal): Promise<FramesResult> {
    this.busy = true;
    let sock: net.Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const abandon = () => sock?.destroy(new Error(STALLED));
    signal?.addEventListener('abort', abandon, { once: true });
    try {
      if (signal?.aborted) throw new Error(STALLED);
      sock = await this.#connect();
      const s = sock;
      if (signal?.aborted) s.destroy(new Error(STALLED));
      const answer = new Promise<{ status: number; headers: Map<string, string>; body: string }>((resolve, reject) => {
        let buf: Buffer = Buffer.alloc(0);
        let head: { status: number; headers: Map<string, string>; bodyLen: number; start: number } | undefined;
        const done = (err?: Error, v?: { status: number; headers: Map<string, string>; body: string }) => {
          s.off('data', onData);
          s.off('close', onClose);
          if (err) reject(err);
          else resolve(v!);
        };
        const onClose = () => done(new Error('connection closed before the answer'));
        const onData = (chunk: Buffer) => {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          if (!head) {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) {
              if (buf.length > MAX_HEAD) done(new Error('answer head too large'));
              return;
            }
            const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
            if (!m) return done(new Error('not an HTTP answer'));
            const headers = new Map<string, string>();
            for (const l of lines.slice(1)) {
              const i = l.indexOf(':');
              if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
            }
            const bodyLen = Number(headers.get('content-length') ?? 0);
            if (!Number.isSafeInteger(bodyLen) || bodyLen > MAX_BODY) return done(new Error('answer body length unusable'));
            head = { status: Number(m[1]), headers, bodyLen, start: end + 4 };
          }
          if (buf.length >= head.start + head.bodyLen) {
            done(undefined, { status: head.status, headers: head.headers, body: buf.subarray(head.start, head.start + head.bodyLen).toString('utf8') });
          }
        };
        s.on('data', onData);
        s.once('close', onClose);
      });
      answer.catch(() => undefined);
      timer = setTimeout(() => s.destroy(new Error('timeout')), this.#timeoutMs);
      s.write(this.#head + `Content-Length: ${length}\r\n\r\n`);
      await sendFile(s, path, { offset, length });
      const res = await answer;
      if (res.headers.get('connection') === 'close') s.destroy();
      if (res.status >= 200 && res.status < 300) {
        const results = parseFrameAnswers(res.body);
        if (results) return { kind: 'frames', results };
      }
      return classifyStatus(res.status, res.headers.get('retry-after'), res.body);
    } catch (err) {
      sock?.destroy();
      this.#socket = undefined;
      if (signal?.aborted) return { kind: 'retryable', reason: STALLED };
      return { kind: 'retryable', reason: (err as { code?: string }).code ?? (err as Error).message ?? 'network error' };
    } finally {
      signal?.removeEventListener('abort', abandon);
      clearTimeout(timer);
      this.busy = false;
    }
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}
