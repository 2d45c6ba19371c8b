/**
 * For any body, an unchanged body is byte-identical: between two trusted core peers, whatever
 * body a request or response carries (random bytes 0-255 under non-SDP types, multipart/mixed
 * of random parts with an SDP part, SDPs with random attribute lines) leaves the guard exactly
 * as it came, in the initial INVITE, re-INVITEs, INFO, MESSAGE, UPDATE and their 200s, and
 * survives the wire encoding (encodeSipMessage, then parseSipMessage) unchanged too.
 *
 * Bodies are byte strings (one char per byte). Messages go in as bytes on the wire would:
 * the head as UTF-8, the body as its own bytes (the fixture's `send` would encode a string body
 * as UTF-8 and so change every byte above 0x7f before the guard saw it).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import t from 'tap';
import type { CallController, Inbound } from '../../src/call/call-controller.ts';
import type { ControllerOutcome } from '../../src/call/controller-outcome.ts';
import { getHeader } from '../../src/sip/sip-headers.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../../src/sip/sip-serializer.ts';
import type { SipMessage } from '../../src/sip/sip-message.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { asRequest, asResponse, CALLEE_CORE, CORE, controllerFor, inDialogRequest, responseTo } from '../helpers/controller-fixture.ts';

// ---------------------------------------------------------------------------------------------
// Bodies. An SDP's o= version is left as a placeholder: each leg keeps its own version sequence
// (RFC 3264 8), and the guard may renumber an SDP that breaks it; the test numbers them right.

const VERSION = '\u0000VERSION\u0000';

interface Body {
  readonly type: string;
  /** Byte string; an SDP's o= version is VERSION. */
  readonly template: string;
  readonly sdp: boolean;
}

function bytes(arr: Uint8Array): string {
  return Buffer.from(arr).toString('latin1');
}

const randomBytesArb = fc.uint8Array({ maxLength: 2048 }).map(bytes);
const BINARY_TYPES = ['application/isup', 'application/octet-stream', 'application/vnd.etsi.aoc+xml', 'application/x-random', 'text/plain', 'application/ISUP;version=itu-t92+'];

/** A printable attribute value: the guard must not care what it says. */
const attrValueArb = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const attrLineArb = fc.oneof(
  fc.tuple(fc.constantFrom('x-foo', 'tool', 'ptime', 'label', 'mid', 'ice-ufrag', 'x-Weird_Name.1', 'group'), attrValueArb).map(([n, v]) => `a=${n}:${v}`),
  fc.constantFrom('a=recvonly', 'a=sendrecv', 'a=rtcp-mux', 'a=ice-lite', 'b=AS:64', 'b=TIAS:64000', 'i=some session', 'a=x-high-bytes:\u00e9\u00ff\u0080'),
);

const sdpArb: fc.Arbitrary<string> = fc
  .record({
    user: fc.constantFrom('alice', '-', 'bob'),
    session: fc.bigInt({ min: 0n, max: 2n ** 63n }),
    sessionAttrs: fc.array(attrLineArb, { maxLength: 4 }),
    media: fc.array(
      fc.record({
        kind: fc.constantFrom('audio', 'video', 'dc'),
        port: fc.integer({ min: 1, max: 65535 }),
        attrs: fc.array(attrLineArb, { maxLength: 5 }),
        dcmap: fc.uniqueArray(fc.constantFrom(0, 10, 1000, 1002), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    lf: fc.constantFrom('\r\n', '\r\n', '\n'),
  })
  .map(({ user, session, sessionAttrs, media, lf }) => {
    const lines = ['v=0', `o=${user} ${session} ${VERSION} IN IP4 192.0.2.10`, 's=-', 't=0 0', ...sessionAttrs];
    for (const m of media) {
      if (m.kind === 'dc') {
        lines.push(`m=application ${m.port} UDP/DTLS/SCTP webrtc-datachannel`, 'c=IN IP4 192.0.2.156', 'a=sctp-port:5000', ...m.attrs);
        for (const stream of m.dcmap) {
          lines.push(stream < 1000 ? `a=dcmap:${stream} subprotocol="http"` : `a=dcmap:${stream} label="x";subprotocol="x-app"`, ...(stream < 1000 ? [] : ['a=3gpp-req-app:com.example.ads']));
        }
      } else {
        lines.push(`m=${m.kind} ${m.port} RTP/AVP 0`, 'c=IN IP4 192.0.2.10', ...m.attrs);
      }
    }
    return lines.join(lf) + lf;
  });

const sdpBodyArb: fc.Arbitrary<Body> = fc
  .tuple(sdpArb, fc.constantFrom('application/sdp', 'Application/SDP', 'application/sdp; charset=utf-8'))
  .map(([template, type]) => ({ type, template, sdp: true }));

const binaryBodyArb: fc.Arbitrary<Body> = fc.tuple(fc.constantFrom(...BINARY_TYPES), randomBytesArb).map(([type, template]) => ({ type, template, sdp: false }));

const BOUNDARY = 'dcg-b0undary-7f3a';
// At most four parts: the default limits.message.max_body_parts (a fifth is refused with 413).
const multipartArb: fc.Arbitrary<Body> = fc
  .record({
    preamble: fc.constantFrom('', 'This is a preamble.\r\n'),
    before: fc.array(fc.tuple(fc.constantFrom(...BINARY_TYPES), fc.uint8Array({ maxLength: 600 }).map(bytes)), { maxLength: 2 }),
    sdp: fc.option(sdpArb, { freq: 4 }),
    after: fc.array(fc.tuple(fc.constantFrom(...BINARY_TYPES), fc.uint8Array({ maxLength: 600 }).map(bytes)), { maxLength: 1 }),
    partHeaders: fc.constantFrom([], ['Content-Disposition: signal;handling=optional'], ['Content-ID: <p1@example>']),
    epilogue: fc.constantFrom('', '\r\n', 'epilogue'),
  })
  .filter(({ before, after }) => [...before, ...after].every(([, content]) => !content.includes(BOUNDARY)))
  .map(({ preamble, before, sdp, after, partHeaders, epilogue }) => {
    const parts = [...before.map(([type, content]) => ({ type, content })), ...(sdp === null ? [] : [{ type: 'application/sdp', content: sdp }]), ...after.map(([type, content]) => ({ type, content }))];
    const all = parts.length === 0 ? [{ type: 'text/plain', content: 'x' }] : parts;
    const body =
      preamble +
      all.map((p) => `--${BOUNDARY}\r\nContent-Type: ${p.type}\r\n${partHeaders.map((h) => `${h}\r\n`).join('')}\r\n${p.content}\r\n`).join('') +
      `--${BOUNDARY}--\r\n` +
      epilogue;
    return { type: `multipart/mixed;boundary=${BOUNDARY}`, template: body, sdp: sdp !== null };
  });

const bodyArb: fc.Arbitrary<Body> = fc.oneof(binaryBodyArb, multipartArb, sdpBodyArb);

// ---------------------------------------------------------------------------------------------
// Wire helpers.

/** A message text without body (ends with the empty line) plus a body, as the bytes a socket would deliver. */
function wire(head: string, body: Body | null, version: number): Buffer {
  const withoutEnd = head.replace(/\r\n\r\n$/, '');
  if (body === null) {
    return Buffer.from(`${withoutEnd}\r\nContent-Length: 0\r\n\r\n`, 'utf8');
  }
  const content = render(body, version);
  return Buffer.concat([Buffer.from(`${withoutEnd}\r\nContent-Type: ${body.type}\r\nContent-Length: ${content.length}\r\n\r\n`, 'utf8'), Buffer.from(content, 'latin1')]);
}

function render(body: Body, version: number): string {
  return body.template.split(VERSION).join(String(version));
}

async function deliver(controller: CallController, bytesIn: Buffer, from: Inbound): Promise<ControllerOutcome> {
  const parsed = parseSipMessage(bytesIn);
  return parsed.kind === 'request' ? controller.handleRequest(parsed, from) : controller.handleResponse(parsed, from);
}


/** The body left as it came: in the message the guard forwards, and after the wire encoding. */
function expectSame(outcome: ControllerOutcome, body: Body | null, version: number, what: string): SipMessage {
  if (outcome.kind !== 'forward') {
    throw new Error(`${what}: expected a forward, got ${outcome.kind} ${JSON.stringify(outcome.report)}`);
  }
  const expected = body === null ? '' : render(body, version);
  const out = outcome.message;
  if (out.body !== expected) {
    throw new Error(`${what}: body changed\n  sent ${JSON.stringify(expected)}\n  got  ${JSON.stringify(out.body)}`);
  }
  if (body !== null && getHeader(out, 'Content-Type') !== body.type) {
    throw new Error(`${what}: Content-Type changed: ${JSON.stringify(body.type)} -> ${JSON.stringify(getHeader(out, 'Content-Type'))}`);
  }
  const encoded = encodeSipMessage(out);
  const back = parseSipMessage(encoded);
  if (back.body !== expected) {
    throw new Error(`${what}: body changed on the wire\n  sent ${JSON.stringify(expected)}\n  got  ${JSON.stringify(back.body)}`);
  }
  if (Number(getHeader(back, 'Content-Length')) !== expected.length) {
    throw new Error(`${what}: Content-Length ${getHeader(back, 'Content-Length') ?? 'missing'} for a body of ${expected.length} bytes`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The call.

type Method = 'INVITE' | 'INFO' | 'MESSAGE' | 'UPDATE';
interface Step {
  readonly fromCaller: boolean;
  readonly method: Method;
  readonly body: Body;
  /** Whether the 200 carries the same body (else no body). */
  readonly echo: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  fromCaller: fc.boolean(),
  method: fc.constantFrom<Method>('INVITE', 'INFO', 'MESSAGE', 'UPDATE'),
  body: bodyArb,
  echo: fc.boolean(),
});

/** Each leg's o= version sequence: the next SDP on a leg carries the last version + 1. */
class Versions {
  #toCallee: number | null = null;
  #toCaller: number | null = null;
  constructor(readonly start: number) {}
  next(towardCallee: boolean): number {
    const last = towardCallee ? this.#toCallee : this.#toCaller;
    const v = last === null ? this.start : last + 1;
    if (towardCallee) {
      this.#toCallee = v;
    } else {
      this.#toCaller = v;
    }
    return v;
  }
}

function versionFor(versions: Versions, body: Body | null, towardCallee: boolean): number {
  return body !== null && body.sdp ? versions.next(towardCallee) : 0;
}

t.test('between trusted core peers, any body of any request or response is forwarded byte for byte', async (t) => {
  let n = 0;
  let nonAscii = 0;
  await fc.assert(
    fc.asyncProperty(bodyArb, bodyArb, fc.boolean(), fc.array(stepArb, { maxLength: 6 }), fc.nat({ max: 1_000_000 }), async (inviteBody, otherBody, same, steps, start) => {
      n += 1;
      const { controller } = controllerFor(labProfile());
      const versions = new Versions(start);
      const invite = [
        'INVITE tel:+15550002222 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-be-${n}`,
        'Max-Forwards: 70',
        `From: <sip:alice@ims.example.net>;tag=be-${n}`,
        'To: <tel:+15550002222>',
        `Call-ID: byte-exact-${n}`,
        'CSeq: 10 INVITE',
        'Contact: <sip:alice@10.0.0.1>',
        '',
        '',
      ].join('\r\n');
      if (/[\u0080-\u00ff]/.test(inviteBody.template)) {
        nonAscii += 1;
      }
      let v = versionFor(versions, inviteBody, true);
      const toCallee = asRequest(expectSame(await deliver(controller, wire(invite, inviteBody, v), CORE), inviteBody, v, 'INVITE'));
      // The 200 carries the INVITE's body again, or another one; an SDP offer is answered with itself
      // (an answer with other m-lines or channels is one the guard aligns to the offer, by design).
      const answerBody = same || (inviteBody.sdp && otherBody.sdp) ? inviteBody : otherBody;
      v = versionFor(versions, answerBody, false);
      const ok = asResponse(
        expectSame(
          await deliver(controller, wire(responseTo(toCallee, 200, 'OK', { contact: '<sip:bob@10.0.0.2>' }), answerBody, v), CALLEE_CORE),
          answerBody,
          v,
          '200 to the INVITE',
        ),
      );
      const callerReq = asRequest(parseSipMessage(wire(invite, null, 0)));
      const calleeView = asResponse(parseSipMessage(responseTo(toCallee, 200, 'OK')));
      const inDialog = (fromCaller: boolean, method: string, cseq: number): string =>
        fromCaller
          ? inDialogRequest(callerReq, ok, method, cseq, { via: `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-c-${method}-${cseq}` })
          : inDialogRequest(toCallee, calleeView, method, cseq, { fromCallee: true, via: `SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-e-${method}-${cseq}` });
      expectSame(await deliver(controller, wire(inDialog(true, 'ACK', 10), null, 0), CORE), null, 0, 'ACK');

      let callerCseq = 10;
      let calleeCseq = 100;
      for (const step of steps) {
        const cseq = step.fromCaller ? ++callerCseq : ++calleeCseq;
        const from = step.fromCaller ? CORE : CALLEE_CORE;
        const peer = step.fromCaller ? CALLEE_CORE : CORE;
        v = versionFor(versions, step.body, step.fromCaller);
        const req = asRequest(expectSame(await deliver(controller, wire(inDialog(step.fromCaller, step.method, cseq), step.body, v), from), step.body, v, step.method));
        const answer = step.echo ? step.body : null;
        v = versionFor(versions, answer, !step.fromCaller);
        expectSame(await deliver(controller, wire(responseTo(req, 200, 'OK'), answer, v), peer), answer, v, `200 to ${step.method}`);
        if (step.method === 'INVITE') {
          expectSame(await deliver(controller, wire(inDialog(step.fromCaller, 'ACK', cseq), null, 0), from), null, 0, 'ACK');
        }
      }
    }),
    { numRuns: 300 },
  );
  t.ok(nonAscii > 10, `bodies with bytes above 0x7f were sent (${nonAscii})`);
});
