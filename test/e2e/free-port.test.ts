/** The ports tests hand to the processes they start lie outside the range the kernel gives outgoing connections. */
import fs from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { freePort } from './procs';

t.test('freePort gives a listenable loopback port below the ephemeral range', async (t) => {
  const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    t.ok(port >= 10_000 && port < low, `${port} is below ${low}, where no outgoing connection takes it`);
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => s.close(r));
  }
});
