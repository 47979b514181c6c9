/**
 * The default agent does not evaluate the code of what it does not use until a request, a config key or a datagram
 * needs it: the query engine, the rules manager, the live page, the reporter, the OTLP and remote write decoders,
 * the scraper, the push listener, the GPU renderers and the native I/O wrappers (docs/footprint.md, "What loads").
 * Their option schemas stay loaded, so their keys are checked at start as before.
 */
import t from 'tap';
import { builtinsOfAgent } from '../helpers/agent-builtins';

/** Modules of dist/ a default agent must not have evaluated when it is ready; a trailing `/` names a directory. */
const notAtIdle = [
  'agent/query/api.js',
  'agent/query/engine.js',
  'agent/query/eval.js',
  'agent/query/parse.js',
  'agent/rules/index.js',
  'agent/rules/manager.js',
  'agent/rules/http.js',
  'agent/rules/api.js',
  'agent/live/index.js',
  'agent/live/assets.js',
  'agent/live/sampler.js',
  'agent/live/stream.js',
  'agent/live/page/',
  'agent/report/index.js',
  'agent/report/reporter.js',
  'agent/report/spool/',
  'agent/report/runtime/',
  'agent/collectors/otlp/translate.js',
  'agent/collectors/otlp/receive-proto.js',
  'agent/collectors/otlp/decode-proto.js',
  'agent/collectors/otlp/decode-json.js',
  'agent/collectors/otlp/delta.js',
  'agent/collectors/otlp/stream-cache.js',
  'agent/collectors/otlp/grpc-service.js',
  'agent/collectors/remote-write-receive/',
  'agent/collectors/push/index.js',
  'agent/collectors/scrape/index.js',
  'agent/collectors/scrape/targets.js',
  'agent/collectors/scrape/file-sd.js',
  'agent/collectors/scrape/scraper.js',
  'agent/collectors/scrape/api.js',
  'agent/collectors/gpu/drm.js',
  'agent/collectors/gpu/nvidia.js',
  'agent/collectors/gpu/visible.js',
  'agent/native/pool.js',
  'agent/native/sendfile.js',
  'agent/native/direct-io.js',
];

t.test('a default agent evaluates none of the modules only a request or a config key needs', async (t) => {
  const own = await builtinsOfAgent(t, 'own');
  t.ok(own.includes('agent/agent.js'), 'the list names what loaded');
  for (const m of ['agent/rules/options.js', 'agent/collectors/otlp/options.js', 'agent/collectors/otlp/http.js']) t.ok(own.includes(m), `${m} loaded (options and listeners stay at start)`);
  const early = own.filter((f) => notAtIdle.some((m) => (m.endsWith('/') ? f.startsWith(m) : f === m)));
  t.same(early, [], 'none of them loaded');
});
