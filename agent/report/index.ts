/** The reporting extension: a Reporter when report.endpoints is set, a remote write output when report.remote_write is. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Component } from '../core/component';
import type { AgentContext, Extension } from '../core/context';
import { OutriderError } from '../core/errors';
import { envLabels } from '../core/labels';
import { codecNames } from '../wire/codec';
import { RemoteWriteOutput, RemoteWriteProtocol } from './remote-write/output';
import { Reporter } from './reporter';
import type { FullPolicy } from './spool/spool';
import { warnInsecure } from './tls/connect';
import { tlsOptionsFrom } from './tls/options';

export function readToken(file: string, inline: string): string | undefined {
  if (file) {
    try {
      const t = readFileSync(file, 'utf8').split('\n')[0]!.trim();
      if (t) return t;
    } catch (err) {
      throw new OutriderError('OUTRIDER_ERR_REPORT_TOKEN_FILE', `cannot read report.token_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return inline || undefined;
}

export const reportExtension: Extension = (ctx: AgentContext): Component[] => {
  const c = ctx.config;
  const out: Component[] = [];
  const endpoints = c.list('report.endpoints');
  const agentId = c.string('report.agent_id') || hostname();
  // Pod identity (labels.from_env): empty outside a pod.
  const podLabels = envLabels(c);
  const rw = c.list('report.remote_write');
  const tls = tlsOptionsFrom(c);
  warnInsecure(tls, ctx.log, [...endpoints, ...rw]);
  const dir = c.string('spool.dir');
  // spool.max_size bounds the whole directory: the reporter's spool and each remote write URL's get an equal share
  // (all of it when there is only one), so a spool sized to a volume stays within it.
  const spools = (endpoints.length > 0 ? 1 : 0) + rw.length;
  const share = Math.floor(c.number('spool.max_size') / Math.max(1, spools));
  const spool = dir
    ? {
        dir,
        maxBytes: share,
        segmentBytes: Math.min(c.number('spool.segment_size'), share),
        policy: c.string('spool.full_policy') as FullPolicy,
        syncIntervalMs: c.number('spool.sync_interval'),
        writeThrough: c.bool('spool.write_through'),
        directIo: c.string('spool.io') === 'direct',
      }
    : undefined;
  if (endpoints.length > 0) {
    out.push(
      new Reporter(ctx, {
        agentId,
        extraLabels: podLabels,
        endpoints,
        token: readToken(c.string('report.token_file'), c.string('report.token')),
        tls,
        intervalMs: c.number('report.interval'),
        fullRefreshMs: c.number('report.full_refresh_interval'),
        maxBatchSamples: c.number('report.max_batch_samples'),
        maxBatchBytes: c.number('report.max_batch_bytes'),
        maxInFlight: c.number('report.max_in_flight'),
        timeoutMs: c.number('report.timeout'),
        targetLatencyMs: c.number('report.target_latency'),
        backoffBaseMs: c.number('report.retry_initial_backoff'),
        backoffMaxMs: c.number('report.retry_max_backoff'),
        maxMemoryBytes: c.number('report.max_memory'),
        codec: codecNames[c.string('report.compression')]!,
        compressionLevel: c.number('report.compression_level'),
        drainMs: c.number('report.drain_timeout'),
        sendfileMinBytes: c.number('report.sendfile_min_size'),
        replayMaxBodyBytes: c.number('report.replay_max_body'),
        spool,
      }),
    );
  }
  if (rw.length > 0) {
    // Written straight to an engine, every host's series need the host's identity, as a scrape's `instance` gives.
    out.push(
      new RemoteWriteOutput(ctx.store, {
        name: 'remote_write',
        urls: rw,
        intervalMs: c.number('report.remote_write_interval'),
        protocol: c.string('report.remote_write_protocol') as RemoteWriteProtocol,
        tls,
        log: ctx.log,
        telemetry: ctx.telemetry,
        health: ctx.health,
        extraLabels: { instance: agentId, ...podLabels },
        // Each URL spools under <spool.dir>/remote-write/ with its share of spool.max_size.
        spool,
        backoffBaseMs: c.number('report.retry_initial_backoff'),
        backoffMaxMs: c.number('report.retry_max_backoff'),
        targetLatencyMs: c.number('report.target_latency'),
        drainMs: c.number('report.drain_timeout'),
      }),
    );
  }
  return out;
};
