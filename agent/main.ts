/** Process entry: argv → command, exit code. */
import { commands } from './cli/commands';
import { version } from './core/version';

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `Outrider ${version}: a per-host metrics agent.

Usage: outrider <command> [flags]

Commands:
${list}

Run 'outrider <command> --help' for a command's flags. 'outrider --version' prints the version.
`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`outrider ${version} (node ${process.version})\n`);
    return 0;
  }
  const cmd = commands[first];
  if (!cmd) {
    process.stderr.write(`outrider: unknown command ${JSON.stringify(first)}\n\n${help()}`);
    return 2;
  }
  return cmd.run(rest);
}

export function main(argv: string[]): void {
  runCli(argv).then(
    (code) => {
      process.exitCode = code;
      // Commands that serve (agent) resolve only when stopped; leftover handles must not keep the process up.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err: unknown) => {
      process.stderr.write(`outrider: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
