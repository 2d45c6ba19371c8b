/**
 * Level 2: the call controller driven directly, as both front ends and `dc-guard check` drive
 * it. Each case sets up a real call to the point where the mutated message belongs (nothing,
 * a pending INVITE, a confirmed dialog, a pending re-INVITE), delivers the mutated message from
 * the right party or an impostor, then a valid follow-up, and checks what comes out.
 */
import { buildController } from '../src/call/build-controller.ts';
import type { CallController, Inbound } from '../src/call/call-controller.ts';
import type { ControllerOutcome } from '../src/call/controller-outcome.ts';
import { SequentialIdSource } from '../src/call/id-source.ts';
import type { Profile } from '../src/profile/profile-types.ts';
import type { SipMessage } from '../src/sip/sip-message.ts';
import { SipParseError } from '../src/sip/sip-parse-error.ts';
import { parseSipMessage } from '../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../src/sip/sip-serializer.ts';
import { classifyMessageBody } from '../src/sip/sdp-body.ts';
import { readSdp } from '../src/sdp/read-sdp.ts';
import type { CallLab, Party } from './call-script.ts';
import { isDocumented500, type FuzzTally } from './findings.ts';
import { ADDRESSES, PSEUDONYM_ENV, fuzzProfile } from './fuzz-profile.ts';
import { runCaseScript, type CallDriver, type FuzzCase } from './fuzz-case.ts';

const LAB: CallLab = {
  guard: { ip: '127.0.0.10', port: 5060 },
  caller: { ip: ADDRESSES.caller, port: 5060 },
  callee: { ip: ADDRESSES.callee, port: 5060 },
  as: { ip: ADDRESSES.as, port: 5060 },
};

/** Delivers a case's messages straight to the controller and checks each outcome; the case goes on where it can. */
class ControllerDriver implements CallDriver {
  readonly #controller: CallController;
  readonly #tally: FuzzTally;
  readonly #testCase: FuzzCase;
  /** The case's latest mutated message: what a finding on a valid follow-up is owed to. */
  #lastMutated: string | null = null;
  /** Source address of the message being checked. */
  #from = '';

  constructor(controller: CallController, tally: FuzzTally, testCase: FuzzCase) {
    this.#controller = controller;
    this.#tally = tally;
    this.#testCase = testCase;
  }

  async step(text: string, from: Party): Promise<SipMessage | null> {
    const outcome = await this.#deliver(text, from, 'udp', false);
    return outcome?.kind === 'forward' ? outcome.message : null;
  }

  async mutated(text: string, from: Party, transport: 'udp' | 'tcp'): Promise<SipMessage | null> {
    this.#tally.inputs.controller += 1;
    this.#lastMutated = text;
    const outcome = await this.#deliver(text, from, transport, true);
    return outcome?.kind === 'forward' ? outcome.message : null;
  }

  /** Parses and hands one message to the controller; null when the parser refused it (a fine answer). */
  async #deliver(text: string, from: Party, transport: 'udp' | 'tcp', mutated: boolean): Promise<ControllerOutcome | null> {
    let message: SipMessage;
    try {
      message = parseSipMessage(Buffer.from(text, 'latin1'));
    } catch (error) {
      if (!(error instanceof SipParseError)) {
        this.#tally.add({ level: 'controller', kind: 'crash', detail: `parser threw ${describe(error)}`, input: text, testCase: this.#testCase });
      } else if (mutated) {
        this.#tally.refused.controller += 1;
      }
      return null;
    }
    const source: Inbound = { address: from.ip, port: from.port, transport };
    this.#from = from.ip;
    let outcome: ControllerOutcome;
    try {
      outcome = message.kind === 'request' ? await this.#controller.handleRequest(message, source) : await this.#controller.handleResponse(message, source);
    } catch (error) {
      const cause = mutated ? text : (this.#lastMutated ?? text);
      this.#tally.add({ level: 'controller', kind: 'crash', detail: `${mutated ? '' : 'on a valid follow-up: '}controller threw ${describe(error)}`, input: cause, testCase: this.#testCase });
      return null;
    }
    this.#check(outcome, message, mutated ? text : (this.#lastMutated ?? text), mutated);
    return outcome;
  }

  /** `cause`: the mutated message the finding is owed to (the delivered one, or the one before a valid follow-up). */
  #check(outcome: ControllerOutcome, message: SipMessage, cause: string, mutated: boolean): void {
    const on = mutated ? '' : 'on a valid follow-up: ';
    if (outcome.kind === 'drop') {
      return;
    }
    const out = outcome.kind === 'reply' ? outcome.response : outcome.message;
    if (outcome.kind === 'reply' && outcome.response.status === 500) {
      if (isDocumented500(outcome.response, message)) {
        this.#tally.documented500 += 1;
      } else {
        this.#tally.add({ level: 'controller', kind: 'status-500', detail: `${on}${JSON.stringify(outcome.report.reasons)}`, input: cause, testCase: this.#testCase });
      }
    }
    if (outcome.kind === 'forward' && this.#testCase.shape === 'as' && this.#from === ADDRESSES.as && outcome.to.peerId === 'core') {
      const bypass = ungrantedChannelOpen(outcome.message);
      if (bypass !== null) {
        this.#tally.add({ level: 'controller', kind: 'policy-bypass', detail: `${on}${bypass}`, input: cause, testCase: this.#testCase });
      }
    }
    try {
      // The wire encoding (bodies are byte strings, written as latin1), as the transport sends it.
      parseSipMessage(encodeSipMessage(out));
    } catch (error) {
      this.#tally.add({ level: 'controller', kind: 'unparseable-output', detail: `${on}${outcome.kind}: ${describe(error)}`, input: cause, testCase: this.#testCase });
    }
  }
}

/**
 * In a call the AS starts, nobody but the AS ever offers `com.example.ads` (it is not granted to
 * it): what the guard forwards from the AS to the core must not hold that channel in a DC m-line
 * that is open, in any SDP part. Null when it holds none, else what was found.
 */
export function ungrantedChannelOpen(message: SipMessage): string | null {
  const body = classifyMessageBody(message);
  if (body.kind !== 'parts') {
    return /com\.example\.ads/.test(message.body) ? `a body the guard cannot classify, with com.example.ads, reached the core` : null;
  }
  for (const part of body.parts.filter((p) => p.isSdp)) {
    let view;
    try {
      view = readSdp(part.content);
    } catch {
      if (/com\.example\.ads/.test(part.content)) {
        return 'an SDP part the guard cannot read, with com.example.ads, reached the core';
      }
      continue;
    }
    const open = view.dcMedia.find((m) => m.port !== 0 && m.channels.some((c) => c.appId === 'com.example.ads'));
    if (open !== undefined) {
      return `com.example.ads open in m-line ${open.index} (port ${open.port})`;
    }
  }
  return null;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : String(error);
}

/** Runs one case on a fresh controller (the guard's own ids are then predictable and replay exactly). */
export async function runControllerCase(profile: Profile, testCase: FuzzCase, index: number, tally: FuzzTally, donors: readonly string[]): Promise<void> {
  const controller = buildController(profile, { env: PSEUDONYM_ENV, ids: new SequentialIdSource(), now: () => 1_000 * index });
  const run = new ControllerDriver(controller, tally, testCase);
  await runCaseScript(run, LAB, testCase, `fz-${index}`, donors);
}

export function controllerProfile(): Profile {
  return fuzzProfile({ guardIp: LAB.guard.ip, guard: LAB.guard.port, callee: LAB.callee.port, as: LAB.as.port });
}
