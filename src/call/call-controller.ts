import type { VerdictEngine } from '../policy/verdict-engine.ts';
import { senderOf, type Sender } from '../policy/sender.ts';
import type { Pseudonymizer } from '../privacy/pseudonymizer.ts';
import type { PeerDirectory } from '../profile/peer-directory.ts';
import type { Profile } from '../profile/profile-types.ts';
import type { GuardSelf } from '../routing/guard-self.ts';
import { getHeader } from '../sip/sip-headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../sip/sip-message.ts';
import { CONFIRMED_IDLE_MS, EARLY_IDLE_MS } from '../state/call-lifetime.ts';
import type { CallStore } from '../state/call-store.ts';
import { StoreUnavailableError } from '../state/store-unavailable-error.ts';
import { CallRepository } from './call-repository.ts';
import { lookupOf, step } from './call-step.ts';
import type { ControllerOutcome } from './controller-outcome.ts';
import type { IdSource } from './id-source.ts';
import { STRICT_MATCHING, type LegMatching, type Located } from './leg-matching.ts';
import type { RateBuckets } from './peer-limiter.ts';
import { dropOutcome, stepContextOf, type StepContext, type StepFacts, type StepResult } from './step-context.ts';
import { initialDestination } from './step-initial.ts';
import { stepSessionExpiry } from './step-session-expiry.ts';
import { UNMETERED, type WaitMeter } from './wait-meter.ts';

/** Where a message came from on the wire. */
export interface Inbound {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** Names in the sender's verified TLS certificate (src/transport/endpoint.ts). */
  readonly tlsNames?: readonly string[];
}

export interface CallControllerDeps {
  readonly profile: Profile;
  readonly peers: PeerDirectory;
  readonly engine: VerdictEngine;
  readonly store: CallStore;
  readonly ids: IdSource;
  readonly self: GuardSelf;
  readonly pseudonymizer: Pseudonymizer | null;
  readonly limiter: RateBuckets;
  readonly now: () => number;
  /** What to do with identifiers that name no leg: the server drops the message (leg-matching.ts). */
  readonly matching?: LegMatching;
}

export { CONFIRMED_IDLE_MS, EARLY_IDLE_MS };
/** A step redone this often on a call others keep changing fails closed: the message is dropped. */
const MAX_ATTEMPTS = 4;
/** Decisions in progress at once on a shared store: enough to cover a round trip at the rates one core reaches. */
const SHARED_STORE_IN_FLIGHT = 64;

/**
 * The routing B2BUA (TS 24.229 5.7.5) without transport: a request or response in, what to
 * send where out. Both front ends (embedded, drachtio) and `dc-guard check` drive this one
 * class, so what an operator checks is what the server does. The controller only reads and
 * writes: it gathers what a step needs (the call, the counts, the rate bucket), runs the step
 * (call-step.ts, where every decision is made) and writes back what the step returned.
 */
export class CallController {
  readonly #d: CallControllerDeps;
  readonly #ctx: StepContext;
  readonly #repository: CallRepository;
  readonly #tokenAvailable: StepFacts['tokenAvailable'];
  /** Call-ID -> the last decision started on it: the next one on that leg waits for it. */
  readonly #legs = new Map<string, Promise<ControllerOutcome>>();

  constructor(deps: CallControllerDeps) {
    this.#d = deps;
    const matching = deps.matching ?? STRICT_MATCHING;
    this.#repository = new CallRepository(deps.store, matching);
    // In-memory buckets answer at once; shared ones are read before the step (#facts).
    this.#tokenAvailable = (peer) => deps.limiter.hasToken(peer) === true;
    this.#ctx = stepContextOf({
      profile: deps.profile,
      peers: deps.peers,
      engine: deps.engine,
      ids: deps.ids,
      self: deps.self,
      pseudonymizer: deps.pseudonymizer,
      matching,
    });
  }

  /**
   * Drops calls abandoned without a BYE (a lost BYE, a peer that vanished): early dialogs after
   * `EARLY_IDLE_MS` (longer than RFC 3261 Timer C), confirmed ones after `CONFIRMED_IDLE_MS`
   * without any message. Front ends call it periodically.
   */
  async expireAbandoned(): Promise<number> {
    const now = this.#d.now();
    return this.#repository.expire({ early: now - EARLY_IDLE_MS, confirmed: now - CONFIRMED_IDLE_MS });
  }

  /**
   * Ends the calls whose session timer ran out without a refresh (RFC 4028 10): a BYE on both
   * legs of each hop, the call deleted with its live-call counts. Returns what was done to each,
   * for the decision log and for the front end to send. Front ends call it with the sweep.
   */
  async expireSessions(): Promise<ControllerOutcome[]> {
    const now = this.#d.now();
    const ended: ControllerOutcome[] = [];
    for (const id of this.#repository.sessionsDueBy(now)) {
      try {
        const outcome = await this.#endSession(id, now);
        if (outcome !== null) {
          ended.push(outcome);
        }
      } catch (error) {
        // A store that does not answer: the call stays due, and the next sweep tries again.
        if (!(error instanceof StoreUnavailableError)) {
          throw error;
        }
      }
    }
    return ended;
  }

  async #endSession(id: string, now: number): Promise<ControllerOutcome | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const call = await this.#repository.current(id);
      const expiry = call === null ? null : stepSessionExpiry(this.#ctx, call, now);
      if (expiry === null) {
        return null;
      }
      if (await this.#repository.commitEnded(expiry.next)) {
        return expiry.outcome;
      }
    }
    return null;
  }

  /** Who the guard is (its addresses and URI), for the OPTIONS probes the runtime answers itself. */
  get self(): GuardSelf {
    return this.#d.self;
  }

  /**
   * How many decisions a scheduler may have in progress at once: one with calls in memory (a
   * decision never waits), more with a shared store, whose round trips would otherwise bound
   * the guard by latency rather than CPU.
   */
  get decisionsInFlight(): number {
    return this.#d.store.shared === true ? SHARED_STORE_IN_FLIGHT : 1;
  }

  /** The id of the peer a message from `source` comes from, or null when no peer matches (the front ends queue by it). */
  peerIdOf(source: Inbound): string | null {
    return this.#d.peers.bySource(source)?.id ?? null;
  }

  /**
   * The decision on a request. `meter` is told the time spent waiting on the store, so that a
   * scheduler may run other decisions meanwhile (src/front/fair-share.ts).
   */
  handleRequest(req: SipRequest, source: Inbound, meter: WaitMeter = UNMETERED): Promise<ControllerOutcome> {
    return this.#inOrder(req, meter, () => this.#handle(req, source, meter));
  }

  handleResponse(res: SipResponse, source: Inbound, meter: WaitMeter = UNMETERED): Promise<ControllerOutcome> {
    return this.#inOrder(res, meter, () => this.#handle(res, source, meter));
  }

  /**
   * Decisions on messages of one Call-ID (one leg: the guard gives each leg its own) are made in
   * the order they were started, even when decisions overlap while they wait on a shared store:
   * a CANCEL or ACK is never decided before the INVITE it follows. Across legs, and across
   * instances, the compare-and-set commit keeps the call consistent.
   */
  #inOrder(msg: SipMessage, meter: WaitMeter, decide: () => Promise<ControllerOutcome>): Promise<ControllerOutcome> {
    const key = getHeader(msg, 'Call-ID') ?? '';
    const before = this.#legs.get(key);
    const mine = before === undefined ? decide() : meter.wait(before).then(decide, decide);
    this.#legs.set(key, mine);
    const forget = (): void => {
      if (this.#legs.get(key) === mine) {
        this.#legs.delete(key);
      }
    };
    mine.then(forget, forget);
    return mine;
  }

  async #handle(msg: SipMessage, source: Inbound, meter: WaitMeter): Promise<ControllerOutcome> {
    const sender = senderOf(this.#d.peers.bySource(source), source);
    const { lookup, route } = lookupOf(this.#ctx, msg, sender);
    let result: StepResult | null = null;
    let reason = 'the call kept changing under this message';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      try {
        const located = lookup === null ? null : await meter.wait(this.#repository.locate(lookup.key, lookup.accepts));
        const gathered = this.#facts(msg, sender, located, route);
        const facts = gathered instanceof Promise ? await meter.wait(gathered) : gathered;
        result = step(this.#ctx, located, msg, sender, facts);
        if (!(await meter.wait(this.#repository.commit(located?.call ?? null, result.next, result.index)))) {
          continue;
        }
      } catch (error) {
        // The shared store failed under this message: it now answers from its local copy, and
        // the step is done again, told the store is down.
        if (!(error instanceof StoreUnavailableError)) {
          throw error;
        }
        reason = error.message;
        continue;
      }
      if (result.charge !== null) {
        const taken = this.#d.limiter.take(result.charge);
        if (taken instanceof Promise) {
          await meter.wait(taken);
        }
      }
      return result.outcome;
    }
    return dropOutcome(result?.outcome.report ?? { call: null, from: sender.label, initiator: null, message: 'unknown' }, [{ code: 'state.unavailable', detail: reason }]);
  }

  /**
   * What the step reads besides the call. It waits on the store only when a peer's call count
   * is needed (a new call) or the sender's rate bucket is a shared one (a limited peer's request).
   */
  #facts(msg: SipMessage, sender: Sender, located: Located | null, route: StepFacts['route']): StepFacts | Promise<StepFacts> {
    const now = this.#d.now();
    const storeDown = !this.#repository.reachable();
    const limited = msg.kind === 'request' && sender.peer !== undefined && sender.peer.limits.requestsPerSecond !== null ? sender.peer : null;
    const token = limited === null ? true : this.#d.limiter.hasToken(limited);
    if (token instanceof Promise) {
      return token.then((available) => this.#countFacts(msg, sender, located, route, { now, storeDown, tokenAvailable: (p) => p.id === limited?.id && available }));
    }
    return this.#countFacts(msg, sender, located, route, { now, storeDown, tokenAvailable: this.#tokenAvailable });
  }

  #countFacts(
    msg: SipMessage,
    sender: Sender,
    located: Located | null,
    route: StepFacts['route'],
    base: Pick<StepFacts, 'now' | 'storeDown' | 'tokenAvailable'>,
  ): StepFacts | Promise<StepFacts> {
    // Facts are written field by field: a spread of `base` into a longer literal took V8's slow
    // object-clone path on every message.
    const { now, storeDown, tokenAvailable } = base;
    if (route === undefined || !route.ok || msg.kind !== 'request') {
      return route === undefined ? { now, storeDown, tokenAvailable, liveCalls: NO_COUNTS } : { now, storeDown, tokenAvailable, liveCalls: NO_COUNTS, route };
    }
    // A new call counts against its sender and the peer it goes to: read both counts now.
    const destination = initialDestination(this.#ctx, route, located);
    const counted = [sender.peer, destination.peer].filter((p) => p?.limits.concurrentCalls != null).map((p) => p?.id ?? '');
    if (counted.length === 0) {
      return { now, storeDown, tokenAvailable, liveCalls: NO_COUNTS, route, destination };
    }
    return this.#repository.liveCalls(counted).then((liveCalls) => ({ now, storeDown, tokenAvailable, liveCalls, route, destination }));
  }
}

const NO_COUNTS: ReadonlyMap<string, number> = new Map();
