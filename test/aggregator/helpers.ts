/** Builds agent frames by hand and runs an in-process aggregator on an ephemeral port. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Aggregator, AggregatorOptions } from '../../agent/aggregator/server';
import { remoteWriteForwarder } from '../../agent/cli/aggregator';
import { silentLogger } from '../../agent/core/log';
import { compressSync } from '../../agent/wire/codec';
import { Codec, encodeFrame, FrameKind } from '../../agent/wire/frame';
import { BatchPayload, encodePayload } from '../../agent/wire/payload';

export function tmpDir(t: { teardown(fn: () => void): void }, prefix = 'outrider-agg-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

export function aggOptions(stateDir: string, o: Partial<AggregatorOptions> = {}): AggregatorOptions {
  return {
    listen: '127.0.0.1:0',
    tokens: [],
    stateDir,
    remoteWrite: [],
    forwardIntervalMs: 1000,
    maxBodyBytes: 1 << 20,
    maxDecompressedBytes: 4 << 20,
    maxAgents: 100,
    maxSeries: 100_000,
    snapshotIntervalMs: 60_000,
    commitIntervalMs: 1,
    log: silentLogger(),
    runtimeMetrics: false,
    storeWrites: 'immediate',
    forwarder: remoteWriteForwarder(),
    ...o,
  };
}

export async function startAggregator(stateDir: string, o: Partial<AggregatorOptions> = {}): Promise<Aggregator> {
  const a = new Aggregator(aggOptions(stateDir, o));
  await a.start();
  return a;
}

export function payload(p: Partial<BatchPayload>): BatchPayload {
  return { agentId: 'a1', sentMs: Date.now(), meta: {}, families: [], series: [], scalars: [], dists: [], ...p };
}

export function frame(p: BatchPayload, epoch: number, seq: number, kind = FrameKind.batch, codec = Codec.deflate): Buffer {
  return encodeFrame(kind, codec, epoch, seq, compressSync(codec, encodePayload(p)));
}

export const counterDefs = {
  families: [
    { fid: 1, name: 'reqs_total', type: 'counter' as const, help: 'requests' },
    { fid: 2, name: 'temp', type: 'gauge' as const, help: 'temperature' },
  ],
  series: [
    { sid: 10, fid: 1, labels: ['path', '/a'] },
    { sid: 11, fid: 2, labels: [] },
  ],
};

export async function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url + '/api/v1/ingest', { method: 'POST', body, headers: { 'content-type': 'application/x-outrider-batch', ...headers } });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

/** /metrics once it matches `re` (the aggregator copies its telemetry into the served store once a second), or after 5 s. */
export async function metricsMatching(url: string, re: RegExp, headers: Record<string, string> = {}): Promise<string> {
  let text = '';
  for (let i = 0; i < 50; i++) {
    text = await (await fetch(url + '/metrics', { headers })).text();
    if (re.test(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}
