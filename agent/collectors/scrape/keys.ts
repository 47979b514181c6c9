import { defineKeys } from '../../config/schema';

const limitHelp = (what: string): string => `Default per-target ${what}; a scrape past it fails (0: no limit). A target entry may set its own.`;

export const scrapeKeys = defineKeys([
  {
    key: 'scrape.enabled',
    type: 'bool',
    default: true,
    help: 'Scrape the Prometheus endpoints in scrape.targets and the one the pod annotations name, and serve what they expose on /metrics.',
  },
  {
    key: 'scrape.targets',
    type: 'any',
    default: [],
    check: (v) =>
      Array.isArray(v) && v.every((t) => typeof t === 'object' && t !== null && typeof (t as { url?: unknown }).url === 'string')
        ? undefined
        : 'a list of targets, each with at least a url (see docs/scrape.md)',
    help: 'Static scrape targets: url, job, interval, timeout, path, params, headers, bearer_token_file, basic_auth, tls_config, labels, honor_labels, honor_timestamps, relabel_configs, metric_relabel_configs and limits (see docs/scrape.md).',
  },
  {
    key: 'scrape.file_sd_configs',
    type: 'any',
    default: [],
    check: (v) =>
      Array.isArray(v) && v.every((t) => typeof t === 'object' && t !== null && Array.isArray((t as { files?: unknown }).files))
        ? undefined
        : 'a list of entries, each with files (Prometheus file_sd JSON or YAML; see docs/scrape.md)',
    help: "File-based discovery in Prometheus's file_sd format: files (a glob in the last element), refresh_interval (5m), and the settings of a scrape.targets entry except url; files are re-read on change.",
  },
  { key: 'scrape.interval', type: 'duration', default: 15_000, min: 100, help: 'How often a target is scraped unless its entry says otherwise.' },
  { key: 'scrape.timeout', type: 'duration', default: 10_000, min: 100, help: 'Time budget of one scrape unless its entry says otherwise (never more than the interval).' },
  { key: 'scrape.body_size_limit', type: 'size', default: 16 * 1024 * 1024, min: 0, help: limitHelp('limit on the uncompressed body size') },
  { key: 'scrape.sample_limit', type: 'int', default: 0, min: 0, help: limitHelp('limit on samples left after metric relabeling') },
  { key: 'scrape.label_limit', type: 'int', default: 0, min: 0, help: limitHelp('limit on labels of one sample (the metric name included)') },
  { key: 'scrape.label_name_length_limit', type: 'int', default: 0, min: 0, help: limitHelp('limit on the length of a label name') },
  { key: 'scrape.label_value_length_limit', type: 'int', default: 0, min: 0, help: limitHelp('limit on the length of a label value') },
  { key: 'scrape.series_limit', type: 'int', default: 0, min: 0, help: limitHelp('limit on distinct series a target may have over its life') },
  { key: 'scrape.target_limit', type: 'int', default: 0, min: 0, help: 'Most scrape targets; with more, no target is scraped and each shows the error in /api/v1/targets (0: no limit).' },
  {
    key: 'scrape.annotations.scrape',
    type: 'string',
    default: '',
    help: 'The pod\'s prometheus.io/scrape annotation (set by the injector through the downward API): "true" scrapes the application on 127.0.0.1.',
  },
  { key: 'scrape.annotations.port', type: 'string', default: '', help: "The pod's prometheus.io/port annotation (default 80)." },
  { key: 'scrape.annotations.path', type: 'string', default: '', help: "The pod's prometheus.io/path annotation (default /metrics)." },
  { key: 'scrape.annotations.scheme', type: 'string', default: '', help: "The pod's prometheus.io/scheme annotation (http or https; default http)." },
]);
