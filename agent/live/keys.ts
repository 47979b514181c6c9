import { defineKeys } from '../config/schema';

// The live page on the local endpoint (GET /): per-second charts streamed while a page is open.
export const liveKeys = defineKeys([
  { key: 'live.enabled', type: 'bool', default: true, help: 'Serve the live page on the local endpoint (GET /) and its data under /api/v1/live/.' },
  { key: 'live.max_clients', type: 'int', default: 4, min: 1, max: 64, help: 'Open live pages (event streams) at most; one more is answered 503.' },
  { key: 'live.history', type: 'duration', default: 10 * 60_000, min: 10_000, max: 6 * 3600_000, help: 'How far back a page loads from the local history when it opens.' },
  {
    key: 'live.client_buffer',
    type: 'size',
    default: 256 * 1024,
    min: 16 * 1024,
    max: 16 * 1024 * 1024,
    help: 'Bytes queued for one slow page at most; a page further behind is disconnected (it reconnects and reloads).',
  },
]);
