import t from 'tap';
import { loadNativeEngine } from '../../../agent/collectors/statsd/native-engine';
import { statsdSuite } from './suite';

const probe = loadNativeEngine({ listen: [], receiveBufferBytes: 0, maxPacketBytes: 8192, socketMode: 0o622, receiverThreads: 1, maxKeysPerInterval: 1000 });
if ('engine' in probe) statsdSuite(t, 'native');
else if (process.env.CI === 'true') t.fail(`the native StatsD path must be built in CI: ${probe.reason}`);
else t.test('native StatsD path', { skip: `native StatsD path unavailable: ${probe.reason}` }, () => undefined);
