import { parseHostPort } from '../../config/coerce';
import { defineKeys } from '../../config/schema';

// The optional HTTP push listener (Prometheus text over POST).
export const pushKeys = defineKeys([
  {
    key: 'push.listen',
    type: 'string',
    default: '',
    check: (v) => (v === '' || parseHostPort(String(v)) ? undefined : 'HOST:PORT or empty (disabled)'),
    help: 'Address of the HTTP push listener (POST /api/v1/push, Prometheus text); empty disables it.',
  },
  { key: 'push.max_body', type: 'size', default: 4 * 1024 * 1024, min: 1024, help: 'Largest push request body.' },
]);
