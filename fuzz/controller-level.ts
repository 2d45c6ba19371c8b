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
import { serializeSipMessage } from '../src/sip/sip-serializer.ts';
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
    let wire: string;
    try {
      wire = serializeSipMessage(out);
      parseSipMessage(wire);
    } catch (error) {
      this.#tally.add({ level: 'controller', kind: 'unparseable-output', detail: `${on}${outcome.kind}: ${describe(error)}`, input: cause, testCase: this.#testCase });
    }
  }
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
