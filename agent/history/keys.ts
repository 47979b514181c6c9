import { defineKeys } from '../config/schema';

// The local history (docs/history.md).
export const historyKeys = defineKeys([
  { key: 'history.enabled', type: 'bool', default: true, help: 'Keep a local history of every series in memory, served by the Prometheus HTTP API read endpoints.' },
  {
    key: 'history.step',
    type: 'duration',
    default: 0,
    min: 0,
    check: (v) => (v === 0 || (v as number) >= 100 ? undefined : '0 (the collection interval) or at least 100ms'),
    help: 'Interval between two samples of every series in the local history; 0 samples at collectors.interval.',
  },
  { key: 'history.retention', type: 'duration', default: 3_600_000, min: 1000, help: 'How long the local history keeps samples.' },
  { key: 'history.max_series', type: 'int', default: 20_000, min: 1, help: 'Most series the local history holds; new series past it are dropped and counted.' },
  {
    key: 'history.max_bytes',
    type: 'size',
    default: 64 * 1024 * 1024,
    min: 1024 * 1024,
    help: 'Most memory the local history holds; the oldest samples go first past it, and new series are dropped and counted.',
  },
  {
    key: 'history.state_dir',
    type: 'path',
    default: '',
    help: 'Directory where the local history is saved (history.bin) so a restart keeps it; empty keeps it in memory only.',
  },
  { key: 'history.save_interval', type: 'duration', default: 300_000, min: 1000, help: 'Interval between two saves of the local history to history.state_dir (it is also saved on stop).' },
]);
