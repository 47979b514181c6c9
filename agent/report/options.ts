/**
 * The reporting settings parsed once from the `report.*` and `spool.*` keys (and `labels.from_env`): the options of
 * the reporter (towards aggregators) and of the direct remote write output, each undefined when not configured.
 */
import { hostname } from 'node:os';
import type { Config } from '../config/config';
import type { CrossProblem } from '../config/cross';
import { envLabels } from '../core/labels';
import { codecNames } from '../wire/codec';
import { readToken } from './token';
import type { ReporterOptions } from './reporter';
import type { EventsSenderOptions } from './events-sender';
import type { RemoteWriteProtocol } from './remote-write/output';
import type { SpoolSettings } from './runtime/delivery-queue';
import type { FullPolicy } from './spool/spool';
import { ClientTlsOptions, tlsOptionsFrom } from './tls/options';

export interface DirectRemoteWriteOptions {
  urls: string[];
  intervalMs: number;
  protocol: RemoteWriteProtocol;
  extraLabels: Record<string, string>;
  spool: SpoolSettings | undefined;
  backoffBaseMs: number;
  backoffMaxMs: number;
  targetLatencyMs: number;
  drainMs: number;
  tls: ClientTlsOptions;
  staleMarkers: boolean;
}

export interface ReportOptions {
  reporter: ReporterOptions | undefined;
  /** Sending the event log to the reporter's aggregator (report.events, with report.endpoints). */
  events: EventsSenderOptions | undefined;
  remoteWrite: DirectRemoteWriteOptions | undefined;
  /** Client TLS for https:// endpoints and remote write URLs (report.tls.*). */
  tls: ClientTlsOptions;
  /** Every URL the agent sends to (for the insecure-TLS warning). */
  urls: string[];
}

export function optionsFrom(c: Config): ReportOptions {
  const endpoints = c.list('report.endpoints');
  const agentId = c.string('report.agent_id') || hostname();
  // Pod identity (labels.from_env): empty outside a pod.
  const podLabels = envLabels(c);
  const rw = c.list('report.remote_write');
  const tls = tlsOptionsFrom(c);
  const dir = c.string('spool.dir');
  // spool.max_size bounds the whole directory: the reporter's spool and each remote write URL's get an equal share
  // (all of it when there is only one), so a spool sized to a volume stays within it.
  const spools = (endpoints.length > 0 ? 1 : 0) + rw.length;
  const share = Math.floor(c.number('spool.max_size') / Math.max(1, spools));
  const spool: SpoolSettings | undefined = dir
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
  const reporter: ReporterOptions | undefined =
    endpoints.length > 0
      ? {
          agentId,
          extraLabels: podLabels,
          endpoints,
          token: readToken(c.string('report.token_file'), c.string('report.token')),
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
          tls,
        }
      : undefined;
  // Written straight to an engine, every host's series need the host's identity, as a scrape's `instance` gives.
  const remoteWrite: DirectRemoteWriteOptions | undefined =
    rw.length > 0
      ? {
          urls: rw,
          intervalMs: c.number('report.remote_write_interval'),
          protocol: c.string('report.remote_write_protocol') as RemoteWriteProtocol,
          extraLabels: { instance: agentId, ...podLabels },
          // Each URL spools under <spool.dir>/remote-write/ with its share of spool.max_size.
          spool,
          backoffBaseMs: c.number('report.retry_initial_backoff'),
          backoffMaxMs: c.number('report.retry_max_backoff'),
          targetLatencyMs: c.number('report.target_latency'),
          drainMs: c.number('report.drain_timeout'),
          tls,
          // Straight to an engine, a series that leaves the store ends there at once (the aggregator's forward does not).
          staleMarkers: true,
        }
      : undefined;
  const events: EventsSenderOptions | undefined =
    reporter && c.bool('report.events')
      ? {
          agentId,
          token: reporter.token,
          tls,
          timeoutMs: reporter.timeoutMs,
          backoffBaseMs: reporter.backoffBaseMs,
          backoffMaxMs: reporter.backoffMaxMs,
          drainMs: reporter.drainMs,
          maxQueue: c.number('report.events_max_queue'),
          maxBatch: c.number('report.events_max_batch'),
        }
      : undefined;
  return { reporter, events, remoteWrite, tls, urls: [...endpoints, ...rw] };
}

/** Highest level of each codec (zlib's gzip and deflate 9, brotli's quality 11; none takes no level). */
const maxLevel: Record<string, number> = { gzip: 9, deflate: 9, brotli: 11 };

/**
 * Reporting settings that pass each key's own check but cannot work together: a compression level the codec does not
 * have (every batch would fail to encode and be dropped), and a sendfile minimum above the largest replay body (a
 * backlog would never go as runs, only one batch per request).
 */
export function checkReport(config: Config): CrossProblem[] {
  const out: CrossProblem[] = [];
  const codec = config.string('report.compression');
  const level = config.number('report.compression_level');
  const max = maxLevel[codec];
  if (max !== undefined && level > max) {
    out.push({ key: 'report.compression_level', value: String(level), expected: `0 to ${max} for report.compression ${codec}` });
  }
  const replay = config.number('report.replay_max_body');
  const minRun = config.number('report.sendfile_min_size');
  if (replay > 0 && minRun > replay) {
    out.push({
      key: 'report.sendfile_min_size',
      value: String(minRun),
      expected: `at most report.replay_max_body (${replay} bytes): no run of spooled batches could reach it, so a backlog would replay one batch per request`,
    });
  }
  return out;
}
