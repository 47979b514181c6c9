/**
 * The README's two commands, as written there: the first installs from the lock file only, the second starts an
 * agent that Ctrl-C (SIGINT to the terminal's process group) and SIGTERM (to the process, as `kill` and supervisors
 * send it) stop with exit 0, its ports freed and nothing of it left running.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { groupAlive, killGroup, portsFree, startAgentCommand } from './helpers/started-agent';

const repo = join(__dirname, '..', '..', '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The commands of the first sh block under "## Two commands", comments stripped. */
function twoCommands(): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Two commands'));
  if (!section) throw new Error('README.md has no "## Two commands" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('the "Two commands" section has no sh block');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

const commands = twoCommands();

t.test('two commands: an install from the lock file, then a program of this checkout', async (t) => {
  t.equal(commands.length, 2, commands.join(' | '));
  t.match(commands[0], /^npm (install|ci)$/, 'the first installs what package-lock.json names, nothing else');
  const argv = commands[1]!.split(/\s+/);
  t.notMatch(commands[1], /[|&;<>()$`'"\\*?]/, 'a simple command, no shell syntax');
  // npx / npm exec / npm start would put npm between the user and the agent (npm does not pass SIGTERM on and
  // turns Ctrl-C into exit 130), and outside a clone `npx outrider` asks the registry for a package of that name.
  t.notMatch(argv[0], /^(npx|npm|pnpm|yarn|pnpx)$/, 'not run through a package manager');
  t.match(argv[0], /^\.\//, 'a path inside the checkout, so nothing is looked up elsewhere');
  const program = join(repo, argv[0]!);
  t.ok(existsSync(program), `${argv[0]} exists`);
  t.ok((statSync(program).mode & 0o111) !== 0, `${argv[0]} is executable`);
});

for (const [signal, to] of [
  ['SIGINT', 'group'],
  ['SIGTERM', 'process'],
  ['SIGTERM', 'group'],
] as const) {
  const how = to === 'group' ? `${signal} to its process group (${signal === 'SIGINT' ? 'Ctrl-C' : 'kill -- -PGID'})` : `${signal} to the process (kill, a supervisor)`;
  t.test(`the README's agent command stops on ${how} with exit 0, its ports freed`, async (t) => {
    const agent = await startAgentCommand(commands[1]!.split(/\s+/), { cwd: repo });
    t.teardown(() => killGroup(agent.child));
    const res = await fetch(`${agent.url}/healthz`);
    t.equal(res.status, 200, 'serving');
    const tcp = agent.url.replace(/^http:\/\//, '');
    t.same(await portsFree(tcp, agent.statsd), { tcp: false, udp: false }, 'the ports are held while it runs');

    const exit = await agent.stop(signal, to);
    t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `exit 0 (${exit.ms} ms)`, { stderr: agent.stderr().slice(-2000) });
    t.ok(exit.ms < 10_000, `stopped within 10 s (${exit.ms} ms)`);
    t.notOk(groupAlive(agent.child), 'no process of the command is left');
    t.same(await portsFree(tcp, agent.statsd), { tcp: true, udp: true }, 'HTTP and StatsD ports are free again');
  });
}
