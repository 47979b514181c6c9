import { defineKeys, KeyDef } from '../config/schema';

/**
 * Keys of the collector runner. The names `collectors.enabled` and `collectors.disabled` accept come from the
 * registry of collector kinds (every registered collector), which the composition root passes in.
 */
export function runnerKeys(names: readonly string[], defaults: readonly string[]): readonly KeyDef[] {
  return defineKeys([
    {
      key: 'collectors.enabled',
      type: 'list',
      item: 'enum',
      values: names,
      default: defaults,
      help: 'Host collectors to run (node_exporter collector names).',
    },
    {
      key: 'collectors.disabled',
      type: 'list',
      item: 'enum',
      values: names,
      default: [],
      help: 'Host collectors to leave out of collectors.enabled (handy from a flag: --collectors.disabled=conntrack).',
    },
    {
      key: 'collectors.interval',
      type: 'duration',
      default: 1000,
      min: 100,
      help: 'How often each host collector runs unless it has an interval of its own.',
    },
    {
      key: 'collectors.timeout',
      type: 'duration',
      default: 5000,
      min: 100,
      help: 'Time budget of one collector run; a run past it is abandoned and reported with node_scrape_collector_success 0.',
    },
  ]);
}
