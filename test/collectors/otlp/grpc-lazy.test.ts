// The OTLP/gRPC receiver loads its gRPC service with the first connection on an IP address, at start on a host name.
import t from 'tap';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { AgentContext } from '../../../agent/core/context';
import { silentLogger } from '../../../agent/core/log';
import { OtlpGrpcReceiver } from '../../../agent/collectors/otlp/grpc';
import type { OtlpIngest } from '../../../agent/collectors/otlp/receiver';

const serviceModule = require.resolve('../../../agent/collectors/otlp/grpc-service');

function receiver(listen: string, got: number[]): { r: OtlpGrpcReceiver; health: string[] } {
  const health: string[] = [];
  const ctx = { log: silentLogger(), health: { report: (_: string, state: string) => health.push(state) } } as unknown as AgentContext;
  const ingest = { ingest: (b: Buffer) => (got.push(b.length), { rejected: 0, reasons: [] }) } as unknown as OtlpIngest;
  return { r: new OtlpGrpcReceiver(ctx, { listen, maxBodyBytes: 4 << 20 }, ingest), health };
}

function exportCall(address: string, body: Buffer): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const path = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
  return new Promise<grpc.ServiceError | null>((resolve) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      { deadline: Date.now() + 10_000 },
      (e) => resolve(e),
    ),
  ).finally(() => client.close());
}

t.test('on an IP address the service loads with the first connection and serves it', async (t) => {
  const got: number[] = [];
  const { r, health } = receiver('127.0.0.1:0', got);
  await r.start();
  t.teardown(() => r.stop());
  t.same(health, ['running']);
  t.equal(r.serviceLoaded, false, 'not loaded at start');
  t.notOk(require.cache[serviceModule], 'grpc-service.js not required at start');
  // A connection that closes before the service takes it does not stop the next one.
  await new Promise<void>((resolve) =>
    connect(Number(r.address().split(':')[1]), '127.0.0.1', function (this: import('node:net').Socket) {
      this.destroy();
      resolve();
    }),
  );
  // A 1 MiB request: more than the socket buffers before the service takes the connection.
  t.equal(await exportCall(r.address(), Buffer.alloc(1 << 20)), null);
  t.equal(await exportCall(r.address(), Buffer.alloc(0)), null);
  t.same(got, [1 << 20, 0]);
  t.equal(r.serviceLoaded, true);
  await r.stop();
  t.equal(r.serviceLoaded, false);
});

t.test('on a host name the service loads at start and binds it', async (t) => {
  const got: number[] = [];
  const { r } = receiver('localhost:0', got);
  await r.start();
  t.teardown(() => r.stop());
  t.equal(r.serviceLoaded, true);
  t.equal(await exportCall(r.address(), Buffer.alloc(3)), null);
  t.same(got, [3]);
});

t.test('an address in use degrades the receiver without loading the service', async (t) => {
  const { r: first } = receiver('127.0.0.1:0', []);
  await first.start();
  t.teardown(() => first.stop());
  const { r, health } = receiver(first.address(), []);
  await r.start();
  t.same(health, ['degraded']);
  t.equal(r.serviceLoaded, false);
});
