import { readFileSync } from 'node:fs';
import { checkCommand } from './check-command.ts';
import { runCommand } from './run-command.ts';
import type { CliIo } from './cli-io.ts';
import { validateCommand } from './validate-command.ts';

const USAGE = `usage: dc-guard <command> [options]

commands:
  run [--profile FILE] [--transport embedded|drachtio]
                                                  run the guard (default: embedded SIP front end, sip-profiles/default.yaml)
  validate --profile FILE                         check a profile; prints file:line: reason on error
  check --profile FILE PEER=MSGFILE [...]         run SIP messages through the guard, one JSON line each
  --version                                       print the version`;

/** package.json sits at the same place relative to src/cli and to a built dist/cli. */
const PACKAGE_URL = new URL('../../package.json', import.meta.url);

function version(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_URL, 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate':
      return validateCommand([...rest], io);
    case 'check':
      return checkCommand(rest, io);
    case 'run':
      return runCommand(rest, io);
    case '--version':
    case '-V':
    case 'version':
      io.stdout(version());
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`dc-guard: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
