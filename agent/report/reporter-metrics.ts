/** The reporter's self-metrics, and the runtime hooks that count and log under them. */
import type { Logger } from 'pino';
import type { Telemetry } from '../core/telemetry';
import type { QueuedItem, RuntimeHooks } from './runtime/output';

/**
 * What the lag gauge reads when the telemetry is collected: the running reporter of that telemetry. A reload builds a
 * new reporter on the same telemetry (and the same gauge), so the gauge reads through this and not a closure.
 */
const lagSources = new WeakMap<Telemetry, () => number>();

/** Makes `source` the reporter whose lag the gauge shows (undefined: none, when `owner` is still the one set). */
export function setLagSource(t: Telemetry, source: (() => number) | undefined, owner?: () => number): void {
  if (source) lagSources.set(t, source);
  else if (lagSources.get(t) === owner) lagSources.delete(t);
}

export function reporterMetrics(t: Telemetry) {
  return {
    lag: t.gauge('outrider_report_lag_seconds', 'Age of the oldest batch not yet acknowledged by the aggregator, from when it was formed; 0 when none is pending.', [], function () {
      this.set(lagSources.get(t)?.() ?? 0);
    }),
    batches: t.counter('outrider_report_batches_total', 'Batches the reporter finished, by result (acked, duplicate, quarantined).', ['result']),
    samples: t.counter('outrider_report_samples_total', 'Samples put into batches.'),
    bytes: t.counter('outrider_report_sent_bytes_total', 'Framed bytes sent to the aggregator (including retries).'),
    retries: t.counter('outrider_report_retries_total', 'Sends that failed and will be retried, by reason.', ['reason']),
    dropped: t.counter('outrider_report_dropped_batches_total', 'Batches lost before acknowledgement, by reason (spool_full, memory_full, too_large, spool_dropped_oldest).', ['reason']),
    spoolErrors: t.counter('outrider_report_spool_write_errors_total', 'Spool appends or syncs that failed (disk full, unwritable directory).'),
    corrupt: t.counter('outrider_report_spool_corrupt_records_total', 'Records found damaged when the spool was opened, by kind (torn tail truncated, corrupt skipped).', ['kind']),
    replayed: t.counter('outrider_report_sendfile_batches_total', 'Batches sent straight from a spool segment to the socket (sendfile).'),
    defs: t.counter('outrider_report_definition_resends_total', 'Times the aggregator asked for series definitions again.'),
    duration: t.histogram('outrider_report_send_duration_seconds', 'Time from sending a batch to its answer.', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    backlog: t.gauge('outrider_report_backlog_batches', 'Batches waiting for acknowledgement (spooled or in memory).'),
    spoolBytes: t.gauge('outrider_report_spool_bytes', 'Bytes in spool segments on disk.'),
    window: t.gauge('outrider_report_inflight_window', 'Requests the AIMD controller allows in flight.'),
    handovers: t.counter('outrider_report_handovers_total', 'Handovers sent to an aggregator the agent moved to (what the others acknowledged), by result (ok, failed).', ['result']),
    moves: t.counter('outrider_report_endpoint_moves_total', 'Moves to another aggregator, by reason (failover, return).', ['reason']),
    breaker: t.gauge('outrider_report_breaker_open', 'Whether the circuit breaker towards the aggregator is open (1) or closed (0).'),
  };
}

export type ReporterMetrics = ReturnType<typeof reporterMetrics>;

export function reporterHooks(m: ReporterMetrics, log: Logger, changed: () => void): RuntimeHooks {
  return {
    attempt: (ms) => m.duration.observe(ms / 1000),
    settled: (_item: QueuedItem, how) => m.batches.inc({ result: how }),
    refused: (e, reason) => {
      log.error({ epoch: e.epoch, seq: e.seq, reason }, 'The aggregator refused a batch permanently; it is quarantined in the spool directory.');
      m.batches.inc({ result: 'quarantined' });
    },
    retry: (reason) => m.retries.inc({ reason: reason.startsWith('HTTP') ? reason : 'network' }),
    dropped: (reason, n, detail) => {
      m.dropped.inc({ reason }, n);
      // drop_oldest logs its own warning with the count.
      if (reason !== 'spool_dropped_oldest') log.warn({ reason, detail }, 'A batch was dropped.');
    },
    spoolError: () => m.spoolErrors.inc(),
    spoolCorrupt: (kind, n) => m.corrupt.inc({ kind }, n),
    changed,
  };
}
