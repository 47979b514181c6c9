import t from 'tap';
import { loadNativeEngine } from '../../../agent/collectors/statsd/native-engine';
import { conformanceSuite } from './conformance';

const probe = loadNativeEngine({ listen: [], receiveBufferBytes: 0, maxPacketBytes: 8192, socketMode: 0o622, receiverThreads: 1, maxKeysPerInterval: 1000 });
if ('engine' in probe) conformanceSuite(t, 'native');
else if (process.env.CI === 'true') t.fail(`the native StatsD path must be built in CI: ${probe.reason}`);
else t.test('native StatsD conformance', { skip: `native StatsD path unavailable: ${probe.reason}` }, () => undefined);
