/** The remote write output's self-metrics, and the runtime hooks that count and log under them. */
import type { Logger } from 'pino';
import type { Telemetry } from '../../core/telemetry';
import type { RuntimeHooks } from '../runtime/output';

export function remoteWriteMetrics(t: Telemetry) {
  return {
    sent: t.counter('outrider_remote_write_requests_total', 'Remote write requests finished, by result (ok, dropped).', ['output', 'result']),
    samples: t.counter('outrider_remote_write_samples_total', 'Samples handed to remote write.', ['output']),
    bytes: t.counter('outrider_remote_write_bytes_total', 'Remote write request bytes sent (snappy-compressed protobuf).', ['output']),
    dropped: t.counter(
      'outrider_remote_write_dropped_requests_total',
      'Remote write requests lost, by reason (queue_full, refused, encode, spool_full, spool_dropped_oldest, too_large, unreadable).',
      ['output', 'reason'],
    ),
    retries: t.counter('outrider_remote_write_retries_total', 'Remote write sends retried.', ['output']),
    fallbacks: t.counter(
      'outrider_remote_write_fallbacks_total',
      'URLs that did not accept remote write 2.0 and were switched to 1.0 (protocol auto), by reason (unsupported_media_type, bad_request, not_written).',
      ['output', 'reason'],
    ),
    spoolErrors: t.counter('outrider_remote_write_spool_write_errors_total', 'Remote write spool appends or syncs that failed.', ['output']),
    corrupt: t.counter('outrider_remote_write_spool_corrupt_records_total', 'Remote write spool records found damaged on open, by kind (torn, corrupt).', ['output', 'kind']),
    backlog: t.gauge('outrider_remote_write_backlog_requests', 'Remote write requests waiting for acknowledgement (spooled or in memory), all URLs.', ['output']),
    spoolBytes: t.gauge('outrider_remote_write_spool_bytes', 'Bytes in the remote write spools on disk, all URLs.', ['output']),
    breaker: t.gauge('outrider_remote_write_breaker_open', 'URLs whose circuit breaker is open (their receiver is unreachable).', ['output']),
  };
}

export type RemoteWriteMetrics = ReturnType<typeof remoteWriteMetrics>;

export function remoteWriteHooks(m: RemoteWriteMetrics, output: string, url: string, log: Logger, changed: () => void): RuntimeHooks {
  return {
    attempt: () => undefined,
    settled: () => undefined,
    refused: (_e, reason) => {
      m.dropped.inc({ output, reason: 'refused' });
      m.sent.inc({ output, result: 'dropped' });
      log.error({ output, url, reason }, 'Remote write refused a request; it is dropped.');
    },
    retry: () => m.retries.inc({ output }),
    dropped: (reason, n, detail) => {
      m.dropped.inc({ output, reason: reason === 'memory_full' ? 'queue_full' : reason }, n);
      // A full memory queue drops its oldest request quietly (counted); the spool's drops log their own warning.
      if (reason !== 'spool_dropped_oldest' && reason !== 'memory_full') log.warn({ output, url, reason, detail }, 'A remote write request was dropped.');
    },
    spoolError: () => m.spoolErrors.inc({ output }),
    spoolCorrupt: (kind, n) => m.corrupt.inc({ output, kind }, n),
    changed,
  };
}
