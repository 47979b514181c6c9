/**
 * The aggregator's forward over HTTPS (aggregator.remote_write_tls.*): the remote write receiver has an openssl-made
 * certificate and requires a client certificate; the aggregator built from its config (as `outrider aggregator`
 * builds it) forwards only when the CA and the client certificate are configured.
 */
import t from 'tap';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { Writable } from 'node:stream';
import { Config } from '../../agent/config/config';
import { agentKeys } from '../../agent/keys';
import { aggregatorFrom } from '../../agent/cli/aggregator';
import { createLogger } from '../../agent/core/log';
import { isOutriderError } from '../../agent/core/errors';
import { makePki } from '../helpers/tls-certs';
import { counterDefs, frame, payload, post, tmpDir } from './helpers';

const pki = makePki();

/** A remote write receiver on loopback over HTTPS with client certificates required: the CN of each request's peer. */
async function receiver(t: { teardown(f: () => unknown): void }): Promise<{ url: string; peers: string[] }> {
  const peers: string[] = [];
  const s = https.createServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey), ca: pki.read(pki.caCert), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    peers.push(String((req.socket as TLSSocket).getPeerCertificate()?.subject?.CN ?? ''));
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => s.close(r)));
  return { url: `https://127.0.0.1:${(s.address() as { port: number }).port}/api/v1/write`, peers };
}

function logTo(lines: string[]) {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return createLogger({ level: 'warn', format: 'json', stream });
}

async function until(check: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end && !check()) await new Promise((r) => setTimeout(r, 50));
  return check();
}

async function forwardOnce(t: { teardown(f: () => unknown): void }, tls: Record<string, unknown>): Promise<{ status: number; peers: string[]; log: string[] }> {
  const rx = await receiver(t);
  const log: string[] = [];
  const config = Config.defaults(agentKeys).with({
    'aggregator.listen': '127.0.0.1:0',
    'aggregator.state_dir': tmpDir(t),
    'aggregator.remote_write': [rx.url],
    'aggregator.forward_interval': 100,
    ...tls,
  });
  const agg = aggregatorFrom(config, logTo(log));
  await agg.start();
  t.teardown(() => agg.stop());
  const p = payload({ ...counterDefs, scalars: [10, 5, 11, 20] });
  const { status } = await post(agg.url(), frame(p, 1, 1));
  await until(() => rx.peers.length > 0, 3000);
  return { status, peers: rx.peers, log };
}

t.test('with the CA and a client certificate the aggregator forwards over HTTPS', async (t) => {
  const r = await forwardOnce(t, {
    'aggregator.remote_write_tls.ca_file': pki.caCert,
    'aggregator.remote_write_tls.cert_file': pki.clientCert,
    'aggregator.remote_write_tls.key_file': pki.clientKey,
  });
  t.equal(r.status, 200, 'the batch is taken');
  t.ok(r.peers.length > 0, 'the receiver got remote write requests');
  t.equal(r.peers[0], 'agent-1', 'presenting the configured client certificate');
});

t.test('without the CA the receiver is not trusted and nothing is forwarded', async (t) => {
  const r = await forwardOnce(t, { 'aggregator.remote_write_tls.cert_file': pki.clientCert, 'aggregator.remote_write_tls.key_file': pki.clientKey });
  t.equal(r.status, 200, 'the batch is taken');
  t.same(r.peers, [], 'no request reached the receiver');
});

t.test('insecure_skip_verify forwards to an unknown CA, with a warning naming the key', async (t) => {
  const r = await forwardOnce(t, {
    'aggregator.remote_write_tls.insecure_skip_verify': true,
    'aggregator.remote_write_tls.cert_file': pki.clientCert,
    'aggregator.remote_write_tls.key_file': pki.clientKey,
  });
  t.ok(r.peers.length > 0, 'the receiver got remote write requests');
  t.match(r.log.join(''), /aggregator\.remote_write_tls\.insecure_skip_verify/);
});

t.test('a certificate without its key, or an unreadable file, is a start-up error naming the key', async (t) => {
  const build = (o: Record<string, unknown>) => () => aggregatorFrom(Config.defaults(agentKeys).with({ 'aggregator.state_dir': tmpDir(t), ...o }), logTo([]));
  const code = (f: () => unknown) => {
    try {
      f();
      return 'none';
    } catch (err) {
      return isOutriderError(err) ? `${err.code}: ${err.message}` : String(err);
    }
  };
  t.match(
    code(build({ 'aggregator.remote_write_tls.cert_file': pki.clientCert })),
    /^OUTRIDER_ERR_AGG_TLS: aggregator\.remote_write_tls\.cert_file and aggregator\.remote_write_tls\.key_file go together/,
  );
  t.match(code(build({ 'aggregator.remote_write_tls.ca_file': '/nonexistent/ca.pem' })), /^OUTRIDER_ERR_AGG_TLS: cannot read aggregator\.remote_write_tls\.ca_file \/nonexistent\/ca\.pem: ENOENT/);
});
