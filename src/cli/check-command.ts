import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { buildController } from '../call/build-controller.ts';
import type { ControllerOutcome } from '../call/controller-outcome.ts';
import type { Inbound } from '../call/call-controller.ts';
import { SequentialIdSource } from '../call/id-source.ts';
import { formatIp, parseCidr } from '../profile/cidr.ts';
import { PeerDirectory } from '../profile/peer-directory.ts';
import { loadProfile } from '../profile/load-profile.ts';
import { ProfileError } from '../profile/profile-error.ts';
import type { Profile } from '../profile/profile-types.ts';
import { parseSipMessage } from '../sip/sip-parser.ts';
import { serializeSipMessage } from '../sip/sip-serializer.ts';
import type { CliIo } from './cli-io.ts';
import { LENIENT_MATCHING } from './lenient-matching.ts';

const USAGE = 'usage: dc-guard check --profile FILE PEER=MSGFILE [PEER=MSGFILE ...]   (PEER: a peer id of the profile, or an IP address)';

interface Step {
  readonly peer: string;
  readonly file: string;
  readonly source: Inbound;
}

/**
 * `dc-guard check`: runs hand-written SIP messages through the same controller, engine and
 * dialog state the server uses, one JSON line per message. Ids the guard generates are
 * sequential (dcg-call-1, dcg-tag-1, tok1, ...) so a scenario's later messages can be written
 * before it is run; responses and in-dialog requests that name none of them are matched to
 * the newest leg facing the peer they come from.
 */
export async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const at = args.indexOf('--profile');
  const profileArg = at === -1 ? undefined : args[at + 1];
  if (profileArg === undefined) {
    io.stderr(USAGE);
    return 2;
  }
  args.splice(at, 2);
  if (args.length === 0) {
    io.stderr(USAGE);
    return 2;
  }
  let profile: Profile;
  try {
    profile = loadProfile(resolve(io.cwd, profileArg));
  } catch (error) {
    io.stderr(error instanceof ProfileError ? error.message : `${profileArg}: ${(error as Error).message}`);
    return 2;
  }
  const steps: Step[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      io.stderr(`${USAGE}\nnot PEER=MSGFILE: "${arg}"`);
      return 2;
    }
    const peer = arg.slice(0, eq);
    const source = sourceOf(peer, profile);
    if (source === null) {
      io.stderr(`"${peer}" is neither a peer id of ${profile.file} nor an IP address`);
      return 2;
    }
    steps.push({ peer, file: resolve(io.cwd, arg.slice(eq + 1)), source });
  }

  let controller;
  try {
    controller = buildController(profile, { env: io.env, ids: new SequentialIdSource(), matching: LENIENT_MATCHING });
  } catch (error) {
    io.stderr((error as Error).message);
    return 2;
  }
  for (const [index, step] of steps.entries()) {
    let text: string;
    try {
      text = readFileSync(step.file, 'utf8');
    } catch (error) {
      io.stdout(JSON.stringify({ error: 'unreadable file', index: index + 1, file: step.file, reason: (error as Error).message }));
      return 1;
    }
    let outcome: ControllerOutcome;
    try {
      const message = parseSipMessage(text);
      outcome = message.kind === 'request' ? await controller.handleRequest(message, step.source) : await controller.handleResponse(message, step.source);
    } catch (error) {
      io.stdout(JSON.stringify({ error: 'unparseable message', index: index + 1, file: step.file, peer: step.peer, reason: (error as Error).message }));
      return 1;
    }
    io.stdout(JSON.stringify(outputLine(index + 1, step, outcome)));
  }
  return 0;
}

function outputLine(index: number, step: Step, outcome: ControllerOutcome): Record<string, unknown> {
  const { report } = outcome;
  const common = {
    index,
    file: step.file,
    from: report.from,
    message: report.message,
    initiator: report.initiator,
    call: report.call,
  };
  const monitor = report.wouldHave === null ? {} : { monitor: report.wouldHave };
  switch (outcome.kind) {
    case 'forward':
      return {
        ...common,
        to: outcome.to.peerId ?? outcome.to.uri,
        action: 'forward',
        status: null,
        reasons: report.reasons,
        ...monitor,
        forwarded: serializeSipMessage(outcome.message),
      };
    case 'reply':
      return {
        ...common,
        to: outcome.to.peerId ?? outcome.to.uri,
        action: 'reject',
        status: outcome.response.status,
        reasons: report.reasons,
        forwarded: null,
        response: serializeSipMessage(outcome.response),
      };
    case 'drop':
      return { ...common, to: null, action: 'drop', status: null, reasons: report.reasons, forwarded: null };
  }
}

/**
 * Where a message from `peer` comes from: an address of its own, and for a peer known by its
 * certificate, over TLS with that certificate's names (a certificate peer without sources is
 * one from anywhere: TEST-NET-1 then).
 */
function sourceOf(peer: string, profile: Profile): Inbound | null {
  const sans = profile.peers.find((p) => p.id === peer)?.certificateSans ?? [];
  const address = addressOf(peer, profile) ?? (sans.length > 0 ? '192.0.2.1' : null);
  if (address === null) {
    return null;
  }
  return sans.length === 0 ? { address, port: 5060, transport: 'udp' } : { address, port: 5061, transport: 'tls', tlsNames: sans };
}

/** A peer id stands for an address inside its first block that the directory maps back to it. */
function addressOf(peer: string, profile: Profile): string | null {
  if (isIP(peer) !== 0) {
    return peer;
  }
  const entry = profile.peers.find((p) => p.id === peer);
  if (entry === undefined) {
    return null;
  }
  const directory = new PeerDirectory(profile.peers);
  for (const source of entry.sources) {
    const parsed = parseCidr(source);
    if (!parsed.ok) {
      continue;
    }
    const { network, family, prefix } = parsed.cidr;
    const hostBits = BigInt((family === 4 ? 32 : 128) - prefix);
    for (const offset of [0n, 1n, 2n]) {
      if (offset > 0n && offset >= 1n << hostBits) {
        break;
      }
      const address = formatIp({ family, value: network + offset });
      if (directory.byAddress(address)?.id === peer) {
        return address;
      }
    }
  }
  return null;
}
