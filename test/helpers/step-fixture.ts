/**
 * Runs `step` (src/call/call-step.ts) with no controller, no sockets and no store: a world holds
 * one profile's step context and the store keys the steps so far returned, so that a message is
 * located the way the controller would locate it (`lookupOf`), and every state a step returns is
 * deep-frozen before it is ever passed to another step.
 */
import type { Inbound } from '../../src/call/call-controller.ts';
import { lookupOf, step } from '../../src/call/call-step.ts';
import type { ControllerOutcome } from '../../src/call/controller-outcome.ts';
import { SequentialIdSource } from '../../src/call/id-source.ts';
import { STRICT_MATCHING, type Located } from '../../src/call/leg-matching.ts';
import { stepContextOf, type StepContext, type StepFacts, type StepResult } from '../../src/call/step-context.ts';
import { senderOf, type Sender } from '../../src/policy/sender.ts';
import { VerdictEngine } from '../../src/policy/verdict-engine.ts';
import { resolvePseudonymKey } from '../../src/privacy/pseudonym-key.ts';
import { Pseudonymizer } from '../../src/privacy/pseudonymizer.ts';
import { PeerDirectory } from '../../src/profile/peer-directory.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { GuardSelf } from '../../src/routing/guard-self.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import type { CallState, LegSide } from '../../src/state/call-state.ts';
import { PSEUDONYM_ENV } from './profile-fixture.ts';

/** Object.freeze, all the way down: a step that changes its input in place throws (ES modules are strict). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      deepFreeze((value as Record<string | symbol, unknown>)[key]);
    }
  }
  return value;
}

export function stepContextFor(profile: Profile): StepContext {
  const key = resolvePseudonymKey(profile, PSEUDONYM_ENV);
  return stepContextOf({
    profile,
    peers: new PeerDirectory(profile.peers),
    engine: new VerdictEngine(profile),
    ids: new SequentialIdSource(),
    self: new GuardSelf(profile),
    pseudonymizer: key === null ? null : new Pseudonymizer(key),
    matching: STRICT_MATCHING,
  });
}

/** The facts a step is given unless a test says otherwise: no live calls, every rate bucket full. */
export type FactsOverride = Partial<Pick<StepFacts, 'now' | 'liveCalls' | 'tokenAvailable'>>;

/** One step, ready to run: the message as parsed off the wire, who sent it, where it was located and the facts. */
export interface PreparedStep {
  readonly message: SipMessage;
  readonly sender: Sender;
  readonly located: Located | null;
  readonly facts: StepFacts;
}

export class StepWorld {
  readonly ctx: StepContext;
  /** The store keys steps returned: key -> the call, hop and side it names (the controller's store, without a store). */
  readonly #index = new Map<string, { readonly callId: string; readonly hop: number; readonly side: LegSide }>();
  readonly #calls = new Map<string, CallState>();

  constructor(readonly profile: Profile) {
    this.ctx = stepContextFor(profile);
  }

  senderOf(source: Inbound): Sender {
    return senderOf(this.ctx.peers.bySource(source), source);
  }

  /** Parses `text`, looks up its leg as the controller would and gathers the facts; runs nothing. */
  prepare(text: string | SipMessage, source: Inbound, overrides: FactsOverride = {}): PreparedStep {
    const message = parseSipMessage(typeof text === 'string' ? text : serializeSipMessage(text));
    const sender = this.senderOf(source);
    const { lookup, route } = lookupOf(this.ctx, message, sender);
    const address = lookup === null ? undefined : this.#index.get(lookup.key);
    const call = address === undefined ? undefined : this.#calls.get(address.callId);
    const located: Located | null = address === undefined || call === undefined ? null : deepFreeze({ call, hop: address.hop, side: address.side });
    const facts: StepFacts = {
      now: overrides.now ?? 1_000,
      liveCalls: overrides.liveCalls ?? new Map(),
      tokenAvailable: overrides.tokenAvailable ?? (() => true),
      ...(route === undefined ? {} : { route }),
    };
    return { message, sender, located, facts };
  }

  /** Runs a prepared step and keeps what it returned (deep-frozen) for the next message to be located in. */
  run(prepared: PreparedStep): StepResult {
    const result = step(this.ctx, prepared.located, prepared.message, prepared.sender, prepared.facts);
    if (result.next !== null && result.next !== prepared.located?.call) {
      const next = deepFreeze(result.next);
      this.#calls.set(next.id, next);
      for (const entry of result.index) {
        this.#index.set(entry.key, { callId: next.id, hop: entry.hop, side: entry.side });
      }
    }
    return result;
  }

  /** prepare + run, for building a call up to the state a test starts from. */
  send(text: string | SipMessage, source: Inbound, overrides: FactsOverride = {}): StepResult {
    return this.run(this.prepare(text, source, overrides));
  }
}

/** The message a forward outcome sends, as the next peer would parse it off the wire. */
export function sent(outcome: ControllerOutcome): SipMessage {
  if (outcome.kind !== 'forward') {
    throw new Error(`expected a forward, got ${outcome.kind}: ${JSON.stringify(outcome.report)}`);
  }
  return parseSipMessage(serializeSipMessage(outcome.message));
}
