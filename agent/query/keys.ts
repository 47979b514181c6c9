import { defineKeys } from '../config/schema';

// The PromQL query API over the local history (docs/query.md).
export const queryKeys = defineKeys([
  { key: 'query.timeout', type: 'duration', default: 10_000, min: 1, help: 'Longest evaluation of one query of /api/v1/query or /api/v1/query_range; a query past it is answered 503.' },
  {
    key: 'query.max_samples',
    type: 'int',
    default: 5_000_000,
    min: 1,
    help: 'Most samples one query may load from the local history and touch while it is evaluated; a query past it is answered 422.',
  },
]);
