/**
 * What a step of a call needs besides the state and the message: the profile's pieces it
 * decides with (`StepContext`, fixed for one profile), the facts of the moment the controller
 * gathered before the step (`StepFacts`), and what a step hands back (`StepResult`).
 */
import type { PolicyRefusal } from '../policy/policy-refusal.ts';
import { passHeaderSet } from '../privacy/header-allow-list.ts';
import type { Reason } from '../policy/reason.ts';
import type { Sender } from '../policy/sender.ts';
import type { VerdictEngine } from '../policy/verdict-engine.ts';
import type { Pseudonymizer } from '../privacy/pseudonymizer.ts';
import type { PeerDirectory } from '../profile/peer-directory.ts';
import type { Peer, Profile } from '../profile/profile-types.ts';
import type { GuardSelf } from '../routing/guard-self.ts';
import type { RouteDecision } from '../routing/route-decision.ts';
import type { SipHeader, SipRequest } from '../sip/sip-message.ts';
import type { CallState, LegSide } from '../state/call-state.ts';
import type { ControllerOutcome, DecisionReport, Destination } from './controller-outcome.ts';
import type { IdSource } from './id-source.ts';
import type { LegMatching } from './leg-matching.ts';
import { nameAddrUri } from '../sip/name-addr.ts';
import { getHeaderValues } from '../sip/sip-headers.ts';
import { echoHeaders, reasonPhrase, responseOnLeg, warningFor } from './sip-builders.ts';

/** Where a dialog-creating request goes on: its target, the Route entries after the guard's own, and the peer there. */
export interface InitialDestination {
  readonly target: string;
  readonly routes: readonly string[];
  readonly peer: Peer | undefined;
}

export interface StepContext {
  readonly profile: Profile;
  readonly peers: PeerDirectory;
  readonly engine: VerdictEngine;
  readonly ids: IdSource;
  readonly self: GuardSelf;
  readonly pseudonymizer: Pseudonymizer | null;
  readonly matching: LegMatching;
  /** `privacy.pass_headers`: headers the operator lets cross toward and from untrusted peers. */
  readonly passHeaders: ReadonlySet<string>;
  readonly initiatorHeader: string;
}

/** The context of one profile's steps, from the pieces the controller is built with. */
export function stepContextOf(deps: Omit<StepContext, 'passHeaders' | 'initiatorHeader'>): StepContext {
  return { ...deps, passHeaders: passHeaderSet(deps.profile.privacy.passHeaders), initiatorHeader: deps.profile.guard.initiatorHeader };
}

/** The facts of the moment, read by the controller before the step: a step itself reads nothing. */
export interface StepFacts {
  readonly now: number;
  /** Live calls per peer, for the peers a new call would count against. */
  readonly liveCalls: ReadonlyMap<string, number>;
  readonly tokenAvailable: (peer: Peer) => boolean;
  /** Dialog-creating requests: where routing sends it (decided once, before the route token's call is looked up). */
  readonly route?: RouteDecision;
  /** Dialog-creating requests: where it goes on and the peer there, as the controller worked it out to read that peer's call count. */
  readonly destination?: InitialDestination;
  /** The shared state store cannot be reached: the call was read from this instance's copy, and `guard.fail` decides (src/policy/store-down.ts). */
  readonly storeDown?: boolean;
}

/** A key of the store that finds a leg of the call (call-store.ts). */
export interface IndexEntry {
  readonly key: string;
  readonly hop: number;
  readonly side: LegSide;
}

export interface StepResult {
  /** The call after the message: the input state itself when the message changed nothing, null when there is no call. */
  readonly next: CallState | null;
  /** What to send where, and the decision report. */
  readonly outcome: ControllerOutcome;
  /** Store keys the next state is to be found by. */
  readonly index: readonly IndexEntry[];
  /** The peer whose rate bucket the message takes a token from. */
  readonly charge: Peer | null;
}

export type ReportBase = Pick<DecisionReport, 'call' | 'from' | 'initiator' | 'message'>;

/** What a step decided, for `reportOf`; `call` and `initiator` replace the base's when given. */
export type Decided = Omit<DecisionReport, 'call' | 'from' | 'initiator' | 'message'> & Partial<Pick<DecisionReport, 'call' | 'initiator'>>;

/**
 * The decision report of a step, written field by field: every message gets one, and spreading
 * the base into a literal with more fields took V8's slow object-clone path, a measurable share
 * of each step in the profile.
 */
export function reportOf(base: ReportBase, decided: Decided): DecisionReport {
  return {
    call: decided.call === undefined ? base.call : decided.call,
    from: base.from,
    initiator: decided.initiator === undefined ? base.initiator : decided.initiator,
    message: base.message,
    action: decided.action,
    status: decided.status,
    reasons: decided.reasons,
    wouldHave: decided.wouldHave,
  };
}

/** A refusal of a request: what it is answered with and what the report says. */
export interface Refusal extends Pick<PolicyRefusal, 'status' | 'reasons'> {
  readonly report: ReportBase;
  readonly headers?: PolicyRefusal['headers'];
  /** The leg's own tag on a dialog the guard is already in; a fresh one otherwise. */
  readonly toTag?: string | null;
}

/** The message changed nothing: the state stays as it was. */
export function unchanged(state: CallState | null, outcome: ControllerOutcome, charge: Peer | null = null): StepResult {
  return { next: state, outcome, index: [], charge };
}

export function dropOutcome(report: ReportBase, reasons: readonly Reason[]): ControllerOutcome {
  return { kind: 'drop', report: reportOf(report, { action: 'drop', status: null, reasons, wouldHave: null }) };
}

/** A request refused: answered (an ACK cannot be, RFC 3261 17.1.1.3: dropped), the reasons in a Warning. */
export function refusalOutcome(ctx: StepContext, req: SipRequest, sender: Sender, refusal: Refusal): ControllerOutcome {
  const { status, reasons, report, headers: extra = [], toTag = null } = refusal;
  if (req.method === 'ACK') {
    return { kind: 'drop', report: reportOf(report, { action: 'drop', status: null, reasons, wouldHave: null }) };
  }
  const done = reportOf(report, { action: 'reject', status, reasons, wouldHave: null });
  const warning = warningFor(ctx.self.host, reasons);
  const headers: SipHeader[] = [...extra, ...(warning === null ? [] : [warning])];
  const response = responseOnLeg(echoHeaders(req), status, reasonPhrase(status), toTag ?? ctx.ids.tag(), headers);
  const to: Destination = { peerId: sender.peer?.id ?? null, uri: contactUri(req) ?? req.uri };
  return { kind: 'reply', to, response, report: done };
}

export function contactUri(msg: Parameters<typeof getHeaderValues>[0]): string | null {
  return nameAddrUri(getHeaderValues(msg, 'Contact')[0]);
}
