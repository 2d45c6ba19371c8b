/**
 * `dc-guard validate --profile <file>`: checks an operator profile without starting anything.
 * Exit 0 when the profile loads, 2 when it does not or the command line is wrong.
 */
import { isAbsolute, resolve } from 'node:path';
import { loadProfile } from '../profile/load-profile.ts';
import { formatProblem, ProfileError } from '../profile/profile-error.ts';
import type { Profile } from '../profile/profile-types.ts';
import type { CliIo } from './cli-io.ts';

export const VALIDATE_USAGE = [
  'usage: dc-guard validate --profile <file>',
  '  Checks an operator profile (YAML) against sip-profiles/profile.schema.json and the',
  '  rules the schema cannot express; prints "file:line: reason" for each problem.',
  '  Exit status: 0 valid, 2 invalid or bad arguments.',
];

export function validateCommand(argv: string[], io: CliIo): number {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    VALIDATE_USAGE.forEach((line) => io.stdout(line));
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr(`dc-guard validate: ${parsed.reason}`);
    VALIDATE_USAGE.forEach((line) => io.stderr(line));
    return 2;
  }

  // Messages name the file as the user wrote it; it is read relative to io.cwd.
  const shown = parsed.profile;
  const path = isAbsolute(shown) ? shown : resolve(io.cwd, shown);
  let profile: Profile;
  try {
    profile = loadProfile(path);
  } catch (error) {
    if (error instanceof ProfileError) {
      error.problems.forEach((problem) => io.stderr(formatProblem(shown, problem)));
      return 2;
    }
    throw error;
  }

  io.stdout(`${shown}: ok (${describePeers(profile)})`);
  const keyEnv = profile.privacy.pseudonymKeyEnv;
  const pseudonymous = profile.peers.filter((peer) => peer.identity === 'pseudonym').map((peer) => peer.id);
  if (pseudonymous.length > 0 && !io.env[keyEnv]) {
    // Not an error: the profile is valid, but this environment could not compute pseudonyms.
    io.stderr(`${shown}: note: ${keyEnv} is not set here; peers ${pseudonymous.join(', ')} use identity pseudonym, so the guard would not start`);
  }
  return 0;
}

function describePeers(profile: Profile): string {
  const count = profile.peers.length;
  const noun = count === 1 ? 'peer' : 'peers';
  if (count === 0) {
    return `0 ${noun}`;
  }
  const list = profile.peers.map((peer) => `${peer.id} (${peer.trusted ? 'trusted' : 'untrusted'})`).join(', ');
  return `${count} ${noun}: ${list}`;
}

type Args = { readonly kind: 'run'; readonly profile: string } | { readonly kind: 'help' } | { readonly kind: 'error'; readonly reason: string };

function parseArgs(argv: readonly string[]): Args {
  let profile: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      return { kind: 'help' };
    }
    let value: string | undefined;
    if (arg === '--profile') {
      value = argv[i + 1];
      i += 1;
      if (value === undefined || value === '' || value.startsWith('--')) {
        return { kind: 'error', reason: '--profile needs a file' };
      }
    } else if (arg.startsWith('--profile=')) {
      value = arg.slice('--profile='.length);
      if (value === '') {
        return { kind: 'error', reason: '--profile needs a file' };
      }
    } else {
      return { kind: 'error', reason: arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument ${JSON.stringify(arg)}` };
    }
    if (profile !== undefined) {
      return { kind: 'error', reason: '--profile given twice' };
    }
    profile = value;
  }
  if (profile === undefined) {
    return { kind: 'error', reason: 'missing --profile <file>' };
  }
  return { kind: 'run', profile };
}
