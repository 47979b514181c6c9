import { hostname } from 'node:os';
import { parseHostPort } from '../coerce';
import { defineKeys } from '../schema';

// Reporting to the aggregator (agent/report), its spool, and the optional HTTP push listener (agent/collectors/push).
defineKeys([
  {
    key: 'report.endpoints',
    type: 'list',
    item: 'url',
    default: [],
    flagAliases: ['report-to'],
    help: 'Aggregator base URLs to report to (the first is used; the next ones take over while it is unreachable). Empty: no reporting.',
    common: true,
  },
  { key: 'report.token', type: 'string', default: '', secret: true, help: 'Bearer token sent to the aggregator (prefer report.token_file).' },
  { key: 'report.token_file', type: 'path', default: '', flagAliases: ['report-token-file'], help: 'File whose first line is the bearer token sent to the aggregator.', common: true },
  { key: 'report.agent_id', type: 'string', default: '', flagAliases: ['agent-id'], help: `This agent's id at the aggregator; empty means the host name (${hostname()}).`, common: true },
  { key: 'report.interval', type: 'duration', default: 10_000, min: 50, help: 'Flush interval: what changed in the store is batched and sent this often (also the longest a sample waits in a batch).' },
  { key: 'report.full_refresh_interval', type: 'duration', default: 60_000, min: 100, help: 'Series that did not change are not resent, except in a full refresh this often.' },
  { key: 'report.max_batch_samples', type: 'int', default: 10_000, min: 1, help: 'Most samples in one batch (the adaptive size never goes above it).' },
  { key: 'report.max_batch_bytes', type: 'size', default: 1024 * 1024, min: 1024, help: 'Approximate most uncompressed bytes in one batch.' },
  { key: 'report.max_in_flight', type: 'int', default: 4, min: 1, max: 64, help: 'Most requests in flight to the aggregator (the adaptive window never goes above it).' },
  { key: 'report.timeout', type: 'duration', default: 10_000, min: 100, help: 'Time one request to the aggregator may take.' },
  { key: 'report.target_latency', type: 'duration', default: 1000, min: 1, help: 'Answers slower than this shrink the batch size and the window (AIMD).' },
  { key: 'report.retry_initial_backoff', type: 'duration', default: 200, min: 1, help: 'First retry delay ceiling (exponential backoff with full jitter).' },
  { key: 'report.retry_max_backoff', type: 'duration', default: 30_000, min: 10, help: 'Largest retry delay ceiling.' },
  { key: 'report.max_memory', type: 'size', default: 64 * 1024 * 1024, min: 1024, help: 'Bytes of batches held in memory (queued and in flight); past it batches are read back from the spool.' },
  { key: 'report.compression', type: 'enum', values: ['none', 'gzip', 'deflate', 'brotli'], default: 'deflate', help: 'Payload compression (docs/protocol.md has the measurements).' },
  { key: 'report.compression_level', type: 'int', default: 1, min: 0, max: 11, help: 'Compression level (zlib 0-9, brotli 0-11).' },
  { key: 'report.drain_timeout', type: 'duration', default: 3000, min: 0, help: 'On stop, how long to wait for queued batches to be acknowledged before leaving them in the spool.' },
  {
    key: 'report.remote_write',
    type: 'list',
    item: 'url',
    default: [],
    help: 'Prometheus remote write 1.0 URLs the agent writes to directly (instead of, or besides, an aggregator).',
  },
  { key: 'report.remote_write_interval', type: 'duration', default: 15_000, min: 100, help: 'How often the agent writes its series to report.remote_write.' },
  { key: 'spool.dir', type: 'path', default: '/var/lib/outrider/spool', flagAliases: ['spool-dir'], help: 'Directory of the durable spool (batches not yet acknowledged); empty keeps them in memory only.', common: true },
  { key: 'spool.max_size', type: 'size', default: 1024 * 1024 * 1024, min: 16 * 1024, help: 'Most bytes the spool may hold on disk.' },
  { key: 'spool.segment_size', type: 'size', default: 64 * 1024 * 1024, min: 16 * 1024, help: 'Size limit of one spool segment file.' },
  { key: 'spool.full_policy', type: 'enum', values: ['drop_oldest', 'stop_accepting'], default: 'drop_oldest', help: 'What a full spool does: delete the oldest segment, or refuse new batches (both counted).' },
  { key: 'spool.sync_interval', type: 'duration', default: 1000, min: 1, help: 'fdatasync period of the spool: at most this much of acknowledged-by-nobody data is lost on power loss.' },
  { key: 'spool.write_through', type: 'bool', default: false, help: 'fdatasync every batch before sending it (no loss on power loss beyond the batch being formed).' },
  {
    key: 'push.listen',
    type: 'string',
    default: '',
    check: (v) => (v === '' || parseHostPort(String(v)) ? undefined : 'HOST:PORT or empty (disabled)'),
    help: 'Address of the HTTP push listener (POST /api/v1/push, Prometheus text); empty disables it.',
  },
  { key: 'push.max_body', type: 'size', default: 4 * 1024 * 1024, min: 1024, help: 'Largest push request body.' },
]);
