import { defineKeys } from '../config/schema';

// Local recording and alerting rules (agent/rules) and their delivery to Alertmanager.
export const rulesKeys = defineKeys([
  {
    key: 'rules.files',
    type: 'list',
    item: 'string',
    default: [],
    help: 'Prometheus rule files to evaluate on the local history (paths or globs: *, ?, [...] within a path segment; relative to the config file). Empty: no rules.',
  },
  { key: 'rules.evaluation_interval', type: 'duration', default: 60_000, min: 100, help: 'How often a rule group is evaluated unless the group sets its own interval.' },
  { key: 'rules.external_labels', type: 'map', default: {}, help: 'Labels added to alerts sent to Alertmanager (unless the alert has the label) and offered to templates as $externalLabels.' },
  { key: 'rules.external_url', type: 'string', default: '', help: 'Base of the generatorURL sent with alerts and of $externalURL in templates.' },
  {
    key: 'rules.state_dir',
    type: 'path',
    default: '/var/lib/outrider/rules',
    help: 'Where the pending and firing alerts are kept so their `for` timers survive a restart; empty keeps them in memory only.',
  },
  {
    key: 'rules.for_grace_period',
    type: 'duration',
    default: 600_000,
    min: 0,
    help: 'After a restart, an alert restored as pending fires no sooner than this (alerts with a shorter `for` are not restored), as Prometheus.',
  },
  { key: 'rules.outage_tolerance', type: 'duration', default: 3_600_000, min: 0, help: 'Alert state older than this at start (the agent was down longer) is not restored.' },
  {
    key: 'rules.alertmanager.urls',
    type: 'list',
    item: 'url',
    default: [],
    help: 'Alertmanager base URLs; every alert goes to each of them (POST /api/v2/alerts). Empty: alerts are only evaluated and served.',
  },
  { key: 'rules.alertmanager.timeout', type: 'duration', default: 10_000, min: 10, help: 'Time one request to an Alertmanager may take.' },
  { key: 'rules.alertmanager.resend_delay', type: 'duration', default: 60_000, min: 10, help: 'A firing alert is sent again this often; endsAt is now + 4 × max(resend delay, group interval).' },
  { key: 'rules.alertmanager.queue_capacity', type: 'int', default: 10_000, min: 1, help: 'Most alerts waiting to be sent; past it the oldest are dropped (counted).' },
  { key: 'rules.alertmanager.max_batch', type: 'int', default: 64, min: 1, help: 'Most alerts in one request.' },
]);
