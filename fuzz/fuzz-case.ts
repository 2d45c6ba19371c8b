/**
 * One fuzz case and the call script that runs it, shared by the controller level and the wire
 * level: set up a real call to the point where the mutated message belongs (nothing, a pending
 * INVITE, a confirmed dialog, a pending re-INVITE), deliver the mutated message from the party
 * it belongs to or an impostor, then a valid follow-up. The driver decides what "deliver" means.
 */
import fc from 'fast-check';
import type { SipMessage, SipRequest, SipResponse } from '../src/sip/sip-message.ts';
import {
  answerBody,
  answererDialog,
  answererOf,
  callerDialog,
  callerOf,
  inDialogRequest,
  initialInvite,
  reOfferBody,
  responseTo,
  type CallLab,
  type CallShape,
  type Party,
} from './call-script.ts';
import { ADDRESSES } from './fuzz-profile.ts';
import { mutatedInputArb } from './mutation-arbitrary.ts';
import { mutate, type MutatedInput } from './mutations.ts';
import { RESPONSE_KINDS, type BodyStyle } from './sip-templates.ts';

export type Scenario = 'initial' | 'response' | 'in-dialog' | 'reinvite-response';
/** Who sends the mutated message: the party it belongs to, or someone else at another address. */
export type SenderChoice = 'right' | 'swap' | 'unknown' | 'sibling';

export interface FuzzCase {
  readonly scenario: Scenario;
  readonly shape: CallShape;
  readonly sender: SenderChoice;
  /** Picks the message kind, method, grant and extras inside the scenario. */
  readonly template: number;
  readonly style: BodyStyle;
  /** The transport the mutated message arrives on (setup messages use UDP). */
  readonly transport: 'udp' | 'tcp';
  readonly input: MutatedInput;
  /** In a confirmed dialog: more mutated in-dialog requests after the first, from either side (state the first left behind). */
  readonly more: readonly { readonly template: number; readonly input: MutatedInput }[];
}

export const fuzzCaseArb: fc.Arbitrary<FuzzCase> = fc.record({
  scenario: fc.constantFrom<Scenario>('initial', 'response', 'in-dialog', 'reinvite-response'),
  shape: fc.constantFrom<CallShape>('core', 'as', 'core-via-as'),
  sender: fc.oneof({ weight: 6, arbitrary: fc.constant<SenderChoice>('right') }, { weight: 1, arbitrary: fc.constantFrom<SenderChoice>('swap', 'unknown', 'sibling') }),
  template: fc.nat({ max: 59 }),
  style: fc.constantFrom<BodyStyle>('sdp', 'mixed', 'nested'),
  transport: fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'),
  input: mutatedInputArb,
  more: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ template: fc.nat({ max: 59 }), input: mutatedInputArb }), { minLength: 1, maxLength: 2 }) }),
});

const IN_DIALOG_METHODS = ['INVITE', 'UPDATE', 'BYE', 'ACK', 'INVITE', 'UPDATE'] as const;
const REINVITE_ANSWERS = [
  { status: 200, reason: 'OK', sdp: true },
  { status: 488, reason: 'Not Acceptable Here', sdp: false },
  { status: 491, reason: 'Request Pending', sdp: false },
  { status: 183, reason: 'Session Progress', sdp: true },
] as const;

/** Where the mutated message comes from instead of `right`. */
export function impostor(lab: CallLab, right: Party, choice: SenderChoice): Party {
  switch (choice) {
    case 'right':
      return right;
    case 'swap':
      return right.ip === ADDRESSES.as ? lab.caller : lab.as;
    case 'unknown':
      return { ip: ADDRESSES.unknown, port: lab.caller.port };
    case 'sibling':
      return right.ip === ADDRESSES.caller ? lab.callee : lab.caller;
  }
}

/** What the guard sent on, as the party it was for received it. */
export type Expect = { readonly at: Party; readonly request?: string; readonly response?: { readonly status: number; readonly method: string; readonly callId: string } } | null;

export interface CallDriver {
  /** A valid message of the script; resolves with what `expect.at` received from the guard for it (null: nothing, or not waited for). */
  step(text: string, from: Party, expect: Expect): Promise<SipMessage | null>;
  /** The mutated message; resolves with the request the guard sent on for it, where the driver can tell. */
  mutated(text: string, from: Party, transport: 'udp' | 'tcp'): Promise<SipMessage | null>;
}

function asRequest(m: SipMessage | null): SipRequest | null {
  return m?.kind === 'request' ? m : null;
}

function asResponse(m: SipMessage | null): SipResponse | null {
  return m?.kind === 'response' ? m : null;
}

export async function runCaseScript(driver: CallDriver, lab: CallLab, testCase: FuzzCase, id: string, donors: readonly string[]): Promise<void> {
  const { scenario, shape, template, style, input } = testCase;
  const caller = callerOf(lab, shape);
  const answerer = answererOf(lab, shape);
  const callId = `${id}@ims.example.net`;
  const invite = initialInvite(lab, shape, { callId, branch: `z9hG4bK-${id}`, style, ungranted: template % 2 === 0, extra: template % 5 === 0 ? ['Privacy: id'] : [] });
  const sendMutated = (seed: string, right: Party): Promise<SipMessage | null> =>
    driver.mutated(mutate(seed, input, donors), impostor(lab, right, testCase.sender), testCase.transport);
  const answerOk = (req: SipRequest): string => responseTo(req, answerer, 200, 'OK', answerBody(style, answerer));

  if (scenario === 'initial') {
    const sent = asRequest(await sendMutated(invite, caller));
    if (sent !== null) {
      await driver.step(answerOk(sent), answerer, null);
    }
    return;
  }
  const atAnswerer = asRequest(await driver.step(invite, caller, { at: answerer, request: 'INVITE' }));
  if (atAnswerer === null) {
    return;
  }
  if (scenario === 'response') {
    const kind = RESPONSE_KINDS[template % RESPONSE_KINDS.length] ?? RESPONSE_KINDS[0];
    await sendMutated(responseTo(atAnswerer, answerer, kind.status, kind.reason, kind.sdp ? answerBody(style, answerer) : null), answerer);
    await driver.step(answerOk(atAnswerer), answerer, null);
    return;
  }
  const ok = asResponse(await driver.step(answerOk(atAnswerer), answerer, { at: caller, response: { status: 200, method: 'INVITE', callId } }));
  if (ok === null) {
    return;
  }
  const atCaller = callerDialog(ok);
  await driver.step(inDialogRequest(atCaller, caller, { method: 'ACK', cseq: 1, branch: `z9hG4bK-ack-${id}` }), caller, null);
  /** An in-dialog request of either side, picked by `pick`, with CSeq `cseq`. */
  const inDialogSeed = (pick: number, cseq: number, branch: string): { seed: string; party: Party } => {
    const fromAnswerer = pick % 2 === 1;
    const method = IN_DIALOG_METHODS[Math.floor(pick / 2) % IN_DIALOG_METHODS.length] ?? 'BYE';
    const party = fromAnswerer ? answerer : caller;
    const body = method === 'INVITE' || method === 'UPDATE' ? reOfferBody(style, cseq, party, pick % 4 < 2) : null;
    const dialog = fromAnswerer ? answererDialog(atAnswerer) : atCaller;
    return { seed: inDialogRequest(dialog, party, { method, cseq: method === 'ACK' ? 1 : cseq, branch, body }), party };
  };
  if (scenario === 'in-dialog') {
    const { seed, party } = inDialogSeed(template, 2, `z9hG4bK-in-${id}`);
    await sendMutated(seed, party);
  } else {
    const reOffer = inDialogRequest(atCaller, caller, { method: 'INVITE', cseq: 2, branch: `z9hG4bK-re-${id}`, body: reOfferBody(style, 2, caller, false) });
    const reInvite = asRequest(await driver.step(reOffer, caller, { at: answerer, request: 'INVITE' }));
    if (reInvite !== null) {
      const kind = REINVITE_ANSWERS[template % REINVITE_ANSWERS.length] ?? REINVITE_ANSWERS[0];
      await sendMutated(responseTo(reInvite, answerer, kind.status, kind.reason, kind.sdp ? answerBody(style, answerer) : null), answerer);
      await driver.step(inDialogRequest(atCaller, caller, { method: 'ACK', cseq: 2, branch: `z9hG4bK-ack2-${id}` }), caller, null);
    }
  }
  for (const [k, next] of testCase.more.entries()) {
    const { seed, party } = inDialogSeed(next.template, 3 + k, `z9hG4bK-more${k}-${id}`);
    await driver.mutated(mutate(seed, next.input, donors), impostor(lab, party, testCase.sender), testCase.transport);
  }
  await driver.step(inDialogRequest(atCaller, caller, { method: 'BYE', cseq: 9, branch: `z9hG4bK-bye-${id}` }), caller, null);
}
