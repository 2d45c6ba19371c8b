/**
 * Level 3: a live embedded guard (UDP + TCP on loopback, in this process) with scripted core
 * caller, core callee, untrusted AS and a stranger. Each case runs the shared call script with
 * the mutated message sent on UDP or on its own TCP connection; a barrier request (answered 403
 * by the guard) closes each case so cases do not overlap. Every response any party receives is
 * checked for 500, every datagram for parseability, the guard's log for caught exceptions. After
 * the run, one good call (INVITE with DC, 200, ACK, BYE) must go through.
 */
import { Writable } from 'node:stream';
import { buildController } from '../src/call/build-controller.ts';
import { EmbeddedGuard } from '../src/front/embedded/embedded-guard.ts';
import { createLogger } from '../src/log/logger.ts';
import { getHeader } from '../src/sip/sip-headers.ts';
import type { SipMessage } from '../src/sip/sip-message.ts';
import { parseSipMessage } from '../src/sip/sip-parser.ts';
import { answerBody, callerDialog, inDialogRequest, initialInvite, responseTo, type CallLab, type Party } from './call-script.ts';
import { isDocumented500, type FuzzTally } from './findings.ts';
import { fuzzCaseArb, runCaseScript, type CallDriver, type Expect } from './fuzz-case.ts';
import { ADDRESSES, PSEUDONYM_ENV, fuzzProfile } from './fuzz-profile.ts';
import { forEachSample } from './sampling.ts';
import { requestText, standaloneSeeds } from './sip-templates.ts';
import { UdpParty, responseFor, sendOverTcp } from './wire-peers.ts';

export interface WireOptions {
  readonly seed: number;
  readonly runs: number;
  readonly guardIp: string;
  /** The guard listens here; the caller, callee, AS and stranger on the next four ports. */
  readonly basePort: number;
}

/** How long a scripted step waits for the guard to pass its message on; passes take a few ms. */
const STEP_MS = 2_000;
/** How long a TCP connection of one mutated message stays open to collect what comes back. */
const TCP_READ_MS = 1_000;
const RECENT_INPUTS = 256;

function callIdOf(text: string): string | null {
  return /\r?\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(text)?.[1]?.trim() ?? null;
}

function tryParse(text: string): SipMessage | null {
  try {
    return parseSipMessage(Buffer.from(text, 'latin1'));
  } catch {
    return null;
  }
}

/** A mutated response the fuzzer sends must not be a 500 itself, or the guard relaying it would look like a guard 500. */
function neverA500(text: string): string {
  const parsed = tryParse(text);
  return parsed?.kind === 'response' && parsed.status === 500 ? text.replace(/500/, '501') : text;
}

class WireLab implements CallDriver {
  readonly lab: CallLab;
  readonly #tally: FuzzTally;
  readonly #parties = new Map<string, UdpParty>();
  readonly #guardAt: { address: string; port: number };
  /** Mutated inputs of recent cases by Call-ID, to tie a 500 to what caused it. */
  readonly #recent = new Map<string, string>();
  readonly #tcpInFlight = new Set<Promise<void>>();
  #current = '';

  /** The latest mutated message sent. */
  get current(): string {
    return this.#current;
  }

  private constructor(lab: CallLab, tally: FuzzTally) {
    this.lab = lab;
    this.#tally = tally;
    this.#guardAt = { address: lab.guard.ip, port: lab.guard.port };
  }

  static async start(lab: CallLab, tally: FuzzTally): Promise<WireLab> {
    const wire = new WireLab(lab, tally);
    const unknown: Party = { ip: ADDRESSES.unknown, port: lab.as.port + 1 };
    for (const party of [lab.caller, lab.callee, lab.as, unknown]) {
      wire.#parties.set(
        party.ip,
        await UdpParty.start(party, {
          message: (m) => wire.received(m, 'udp', null),
          garbage: (bytes) => wire.#garbage(bytes, party),
        }),
      );
    }
    return wire;
  }

  close(): void {
    for (const party of this.#parties.values()) {
      party.close();
    }
  }

  #party(p: Party): UdpParty {
    const party = this.#parties.get(p.ip) ?? this.#parties.get(ADDRESSES.unknown);
    if (party === undefined) {
      throw new Error(`no party at ${p.ip}`);
    }
    return party;
  }

  /**
   * A datagram from the guard that does not parse. An error answer to an unreadable request
   * echoes the From, To, Call-ID and CSeq it could salvage (RFC 3261 8.2.6.2), and so may be as
   * unreadable as the request was: counted apart, not a finding.
   */
  #garbage(bytes: string, party: Party): void {
    if (/^SIP\/2\.0 (400|413|505|513) /.test(bytes)) {
      this.#tally.salvagedUnparseable += 1;
      return;
    }
    this.#tally.add({ level: 'udp', kind: 'unparseable-output', detail: `a datagram from the guard to ${party.ip} does not parse`, input: bytes });
  }

  /** Every message a party got from the guard. `input`: the mutated message it answers, when known. */
  received(message: SipMessage, level: 'udp' | 'tcp', input: string | null): void {
    if (message.kind !== 'response' || message.status !== 500) {
      return;
    }
    const cause = input ?? this.#recent.get(getHeader(message, 'Call-ID') ?? '') ?? null;
    if (isDocumented500(message, cause === null ? null : tryParse(cause))) {
      this.#tally.documented500 += 1;
      return;
    }
    this.#tally.add({ level, kind: 'status-500', detail: `500 from the guard: ${getHeader(message, 'Warning') ?? '(no Warning)'}`, input: cause ?? this.#current });
  }

  async step(text: string, from: Party, expect: Expect): Promise<SipMessage | null> {
    let waiting: Promise<SipMessage | null> = Promise.resolve(null);
    if (expect !== null) {
      const { request, response } = expect;
      const match =
        response === undefined
          ? (m: SipMessage) => m.kind === 'request' && m.method === request
          : responseFor(response.callId, response.method, (s) => s === response.status);
      waiting = this.#party(expect.at).expect(match, STEP_MS);
    }
    this.#party(from).send(text, this.#guardAt);
    return waiting;
  }

  mutated(raw: string, from: Party, transport: 'udp' | 'tcp'): Promise<SipMessage | null> {
    const text = neverA500(raw);
    this.#tally.inputs[transport] += 1;
    this.#current = text;
    const callId = callIdOf(text);
    if (callId !== null) {
      this.#recent.delete(callId);
      this.#recent.set(callId, text);
      if (this.#recent.size > RECENT_INPUTS) {
        this.#recent.delete(this.#recent.keys().next().value ?? '');
      }
    }
    if (transport === 'udp') {
      this.#party(from).send(text, this.#guardAt);
    } else {
      const sent = sendOverTcp(text, from, this.#guardAt, TCP_READ_MS, (m) => this.received(m, 'tcp', text));
      this.#tcpInFlight.add(sent);
      void sent.then(() => this.#tcpInFlight.delete(sent));
    }
    // The guard's answer is not waited for here: the barrier ends the case.
    return Promise.resolve(null);
  }

  /**
   * A request from each peer of the lab, which the guard answers 483 itself (Max-Forwards 0):
   * once every answer is back, the case's messages were read. One per peer, because each peer
   * has its own fair-share queue (src/front/fair-share.ts): messages of different peers are not
   * decided in arrival order. The stranger needs none: the guard drops what it sends unread.
   */
  async barrier(n: number): Promise<void> {
    const { caller, callee, as } = this.lab;
    await Promise.all(
      [caller, callee, as].map((party, i) => {
        const callId = `barrier-${n}-${i}`;
        const options = requestText({
          method: 'OPTIONS',
          uri: `sip:${this.lab.guard.ip}:${this.lab.guard.port}`,
          via: [`SIP/2.0/UDP ${party.ip}:${party.port};branch=z9hG4bK-barrier-${n}-${i};rport`],
          from: `<sip:barrier@example.net>;tag=b${n}`,
          to: '<sip:guard@example.net>',
          callId,
          cseq: 1,
        }).replace('Max-Forwards: 70', 'Max-Forwards: 0');
        const sender = this.#party(party);
        const back = sender.expect(responseFor(callId, 'OPTIONS', (s) => s >= 200), STEP_MS);
        sender.send(options, this.#guardAt);
        return back;
      }),
    );
  }

  async drain(): Promise<void> {
    await Promise.all([...this.#tcpInFlight]);
  }

  /** INVITE with a DC from the core caller, 200 with the answer, ACK, BYE and its 200: null when all went through, else what failed. */
  async goodCall(): Promise<string | null> {
    const { caller, callee } = this.lab;
    const callId = 'good-call@ims.example.net';
    const atCallee = await this.step(initialInvite(this.lab, 'core', { callId, branch: 'z9hG4bK-good-1', style: 'sdp', ungranted: false }), caller, { at: callee, request: 'INVITE' });
    if (atCallee?.kind !== 'request' || !atCallee.body.includes('a=dcmap:1000')) {
      return 'the INVITE with its DC did not reach the callee';
    }
    const ok = await this.step(responseTo(atCallee, callee, 200, 'OK', answerBody('sdp', callee)), callee, { at: caller, response: { status: 200, method: 'INVITE', callId } });
    if (ok?.kind !== 'response' || !ok.body.includes('a=dcmap:1000')) {
      return 'the 200 with the DC answer did not reach the caller';
    }
    const dialog = callerDialog(ok);
    if ((await this.step(inDialogRequest(dialog, caller, { method: 'ACK', cseq: 1, branch: 'z9hG4bK-good-2' }), caller, { at: callee, request: 'ACK' })) === null) {
      return 'the ACK did not reach the callee';
    }
    const bye = await this.step(inDialogRequest(dialog, caller, { method: 'BYE', cseq: 2, branch: 'z9hG4bK-good-3' }), caller, { at: callee, request: 'BYE' });
    if (bye?.kind !== 'request') {
      return 'the BYE did not reach the callee';
    }
    const byeOk = await this.step(responseTo(bye, callee, 200, 'OK', null), callee, { at: caller, response: { status: 200, method: 'BYE', callId } });
    return byeOk === null ? 'the 200 to the BYE did not reach the caller' : null;
  }
}

/** Log lines of the guard that are bugs: errors (a handler threw and it was caught), and the transport's own catches. */
function findingSink(tally: FuzzTally, current: () => { input: string; testCase: unknown }): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') {
          continue;
        }
        const entry = JSON.parse(line) as { level?: number; msg?: string; kind?: string; err?: { message?: string; stack?: string }; detail?: string };
        const caught = entry.kind === 'handler-error' || entry.kind === 'internal-error';
        if ((entry.level ?? 0) >= 50 || caught) {
          tally.add({ level: 'udp', kind: 'guard-error-log', detail: `${entry.msg ?? ''} ${entry.kind ?? ''} ${entry.err?.stack ?? entry.detail ?? ''}`.slice(0, 1_500), ...current() });
        }
      }
      callback();
    },
  });
}

export async function runWireLevel(options: WireOptions, tally: FuzzTally, progress: (line: string) => void): Promise<void> {
  const base = options.basePort;
  const lab: CallLab = {
    guard: { ip: options.guardIp, port: base },
    caller: { ip: ADDRESSES.caller, port: base + 1 },
    callee: { ip: ADDRESSES.callee, port: base + 2 },
    as: { ip: ADDRESSES.as, port: base + 3 },
  };
  const profile = fuzzProfile({ guardIp: options.guardIp, guard: base, callee: base + 2, as: base + 3 });
  const wire = await WireLab.start(lab, tally);
  let testCase: unknown = null;
  // The log line of a guard error does not say which message caused it: the case running, and its latest mutated message.
  const logger = createLogger({ level: 'warn', destination: findingSink(tally, () => ({ input: wire.current, testCase })) });
  const seeds = standaloneSeeds();
  let guard: EmbeddedGuard | null = null;
  try {
    guard = await EmbeddedGuard.start({ profile, controller: buildController(profile, { env: PSEUDONYM_ENV }), logger });
    await forEachSample(
      fuzzCaseArb,
      { seed: options.seed, salt: 3, runs: options.runs },
      async (c, i) => {
        testCase = c;
        await runCaseScript(wire, lab, c, `w${i}`, seeds);
        await wire.barrier(i);
      },
      (done) => {
        tally.sampleRss();
        if (done % 1_000 === 0) {
          progress(`wire: ${done} inputs, ${tally.total} findings, rss ${(tally.peakRssBytes / 2 ** 20).toFixed(0)} MB`);
        }
      },
    );
    await wire.drain();
    const failed = await wire.goodCall();
    if (failed !== null) {
      tally.add({ level: 'after-run', kind: 'good-call-failed', detail: failed });
    }
    tally.goodCall = failed === null;
  } finally {
    wire.close();
    await guard?.stop(1_000);
  }
}
