/** The ports tests hand to the processes they start lie outside the range the kernel gives outgoing connections. */
import net from 'node:net';
import t from 'tap';
import { ephemeralLow, freePort } from './procs';

t.test('freePort gives a listenable loopback port below the ephemeral range', async (t) => {
  const low = ephemeralLow();
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    t.ok(port >= 10_000 && port < low, `${port} is below ${low}, where no outgoing connection takes it`);
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => s.close(r));
  }
});
