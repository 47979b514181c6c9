import { defineKeys } from '../config/schema';

// `outrider aggregator` (agent/aggregator). In that command --listen is short for --aggregator.listen.
const cmd = ['aggregator'];
export const aggregatorKeys = defineKeys([
  { key: 'aggregator.listen', type: 'hostport', default: '127.0.0.1:9478', commands: cmd, common: true, help: 'Address the aggregator listens on; anything but loopback requires tokens.' },
  { key: 'aggregator.tokens', type: 'list', item: 'string', default: [], secret: true, commands: cmd, help: 'Bearer tokens agents may present (prefer aggregator.tokens_file).' },
  { key: 'aggregator.tokens_file', type: 'path', default: '', flagAliases: ['tokens-file'], commands: cmd, common: true, help: 'File with one accepted bearer token per line.' },
  { key: 'aggregator.state_dir', type: 'path', default: '/var/lib/outrider/aggregator', flagAliases: ['state-dir'], commands: cmd, common: true, help: 'Where the aggregator keeps what it applied (dedupe marks and totals), so a restart neither loses nor re-applies.' },
  { key: 'aggregator.remote_write', type: 'list', item: 'url', default: [], flagAliases: ['remote-write'], commands: cmd, common: true, help: 'Prometheus remote write URLs the merged series are forwarded to.' },
  {
    key: 'aggregator.remote_write_protocol',
    type: 'enum',
    values: ['1.0', '2.0', 'auto'],
    default: '1.0',
    commands: cmd,
    help: 'Remote write version for aggregator.remote_write: 1.0, 2.0 (io.prometheus.write.v2.Request), or auto (2.0, falling back to 1.0 per URL when the receiver does not take it). Quote it in YAML.',
  },
  { key: 'aggregator.forward_interval', type: 'duration', default: 10_000, min: 100, commands: cmd, help: 'How often the merged series are forwarded by remote write.' },
  { key: 'aggregator.max_body', type: 'size', default: 16 * 1024 * 1024, min: 1024, commands: cmd, help: 'Largest request body accepted (compressed).' },
  { key: 'aggregator.max_decompressed', type: 'size', default: 64 * 1024 * 1024, min: 1024, commands: cmd, help: 'Largest payload after decompression (decompression-bomb guard).' },
  { key: 'aggregator.max_agents', type: 'int', default: 10_000, min: 1, commands: cmd, help: 'Most distinct agents tracked.' },
  { key: 'aggregator.max_series', type: 'int', default: 2_000_000, min: 1, commands: cmd, help: 'Most merged series held.' },
  { key: 'aggregator.snapshot_interval', type: 'duration', default: 30_000, min: 100, commands: cmd, help: 'How often the state log is compacted into a snapshot.' },
  { key: 'aggregator.commit_interval', type: 'duration', default: 5, min: 0, commands: cmd, help: 'Group commit: batches applied within this window share one fdatasync before they are acknowledged.' },
  {
    key: 'aggregator.quantiles',
    type: 'list',
    item: 'number',
    default: [0.5, 0.9, 0.99],
    commands: cmd,
    check: (v) => (Array.isArray(v) && v.length > 0 && v.every((q, i) => q >= 0 && q <= 1 && (i === 0 || q > v[i - 1])) ? undefined : 'increasing numbers between 0 and 1'),
    help: 'Quantiles of the fleet-wide summaries merged from agents\' DDSketches (StatsD timers, histograms, distributions).',
  },
  {
    key: 'aggregator.sketch_max_age',
    type: 'duration',
    default: 120_000,
    min: 1000,
    commands: cmd,
    help: "An agent's latest sketch stops contributing to the merged quantiles when it is older than this (the agent went away).",
  },
]);
