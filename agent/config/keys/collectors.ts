import { defaultCollectorNames, hostCollectorNames } from '../../collectors/host/index';
import { defineKeys } from '../schema';

defineKeys([
  {
    key: 'collectors.enabled',
    type: 'list',
    item: 'enum',
    values: hostCollectorNames(),
    default: defaultCollectorNames(),
    help: 'Host collectors to run (node_exporter collector names).',
  },
  {
    key: 'collectors.disabled',
    type: 'list',
    item: 'enum',
    values: hostCollectorNames(),
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
