/** What the verdict engine decides on: one kind of facts per kind of message it judges. */
import type { DcOwner, MediaOwner } from './verdict.ts';
import type { SdpView } from '../sdp/sdp-types.ts';
import type { RefusingAnswerContext } from '../sdp/refusing-answer.ts';
import type { Actor } from './actor.ts';

/** An SDP offer in a request (INVITE, re-INVITE, UPDATE) or in a reliable 18x/2xx to a late-offer INVITE. */
export interface OfferFacts {
  readonly kind: 'offer';
  readonly method: string;
  /** True for a dialog-creating INVITE; false for re-INVITE/UPDATE. */
  readonly initial: boolean;
  readonly initiator: Actor;
  readonly sdp: SdpView;
  /** What the initiator's side had before: its previous SDP in this dialog, or the offer the guard handed it. */
  readonly baseline: SdpView | null;
  readonly owners: readonly DcOwner[];
  readonly mediaOwners: readonly MediaOwner[];
  /** Served users whose consent applies (P-Served-User from a trusted peer, else both parties). */
  readonly servedUsers: readonly string[];
  /** The shared state store cannot be reached: under `guard.fail: closed` no DC is added. */
  readonly storeDown?: boolean;
}

/** A body that claimed to be SDP but could not be read. */
export interface UnreadableSdpFacts {
  readonly kind: 'unreadable-sdp';
  readonly initiator: Actor;
  readonly raw: string;
  readonly detail: string;
}

/** An SDP answer (18x/2xx, ACK, PRACK) to an offer the guard forwarded. */
export interface AnswerFacts {
  readonly kind: 'answer';
  /** Null when the guard forwarded an offer it could not read (a trusted peer's, or under fail-open). */
  readonly forwardedOffer: SdpView | null;
  /** Null when the answer could not be read (`unreadable` says why). */
  readonly answer: SdpView | null;
  readonly answerRaw: string;
  readonly unreadable?: string;
  /** Who answered: an untrusted answerer's answer the guard cannot verify does not pass under fail-closed. */
  readonly answerer: Actor;
  /** Where an answer the guard writes on the answerer's behalf says it comes from. */
  readonly origin: RefusingAnswerContext;
  /** What the guard last sent this answerer on the call's other hop: an AS may be relaying it. */
  readonly relayed?: SdpView | null;
}

/** BYE: ending somebody's dialog. */
export interface TerminateFacts {
  readonly kind: 'terminate';
  readonly initiator: Actor;
}

/** REFER: handing the call to someone else, as strong as changing every DC of it. */
export interface TransferFacts {
  readonly kind: 'transfer';
  readonly initiator: Actor;
}

export type VerdictFacts = OfferFacts | UnreadableSdpFacts | AnswerFacts | TerminateFacts | TransferFacts;
