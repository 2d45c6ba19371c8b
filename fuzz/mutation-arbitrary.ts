/** fast-check generators for the mutations of mutations.ts, weighted toward what breaks parsers. */
import fc from 'fast-check';
import type { LengthLie, LineEndings, MixPart, MutatedInput, Mutation, NameStyle, RepeatTarget } from './mutations.ts';

/** Lines an SDP reader must not misread: hidden m-lines, broken dcmap, absurd numbers, control bytes. */
export const BAD_SDP_LINES = [
  ' m=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'M=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'm=application 9 UDP/DTLS/SCTP',
  'm=application',
  'm=application 99999999999999999999 UDP/DTLS/SCTP webrtc-datachannel',
  'm=application -1 TCP/DTLS/SCTP webrtc-datachannel',
  'm=application 9/2 DTLS/SCTP 5000',
  'm=audio 0 RTP/AVP',
  'a=dcmap:',
  'a=dcmap:abc label="x"',
  'a=dcmap:1000',
  'a=dcmap:1000 label="unterminated',
  'a=dcmap:1000 label="weather";subprotocol="x-app"',
  'a=dcmap:0 subprotocol="HTTP"',
  'a=dcmap:99999999999999999999 subprotocol="http"',
  'a=dcmap:-1 subprotocol="http"',
  'a=dcmap:1001 max-retr=99999999999999;ordered=maybe;priority=-3',
  'a=dcsa:1000 accept-types:*',
  'a=dcsa:',
  'a=3gpp-req-app:',
  'a=3gpp-req-app:com.example.ads',
  'a=3gpp-req-app:com.example.weather;status=x extra tokens',
  'a=3gpp-bdc-used-by:sender',
  'b=AS:99999999999999999999',
  'b=AS:-1',
  'b=AS:',
  'b=TIAS:900000000',
  'b=X-FOO:1',
  'c=IN IP4',
  'c=IN IP6 ::1',
  'c=IN IP4 224.2.1.1/127/3',
  'o=',
  'o=- x y IN IP4 1.2.3.4',
  'o=- 1 18446744073709551616 IN IP4 1.2.3.4',
  'v=1',
  'v=0',
  's=',
  't=x y',
  'a=sctp-port:abc',
  'a=max-message-size:-5',
  'a=setup:',
  'a=fingerprint:',
  'a=tls-id:',
  'a=',
  '=',
  'x',
  '',
  'a=dcmap:1000 label="\u0000"',
  'a=dcmap:1000 label="é"',
  'a=rtpmap:0 PCMU/8000\r',
  '\ta=dcmap:1003 subprotocol="x"',
  '--dcg-fuzz-b1',
  '--dcg-fuzz-b1--',
  'Content-Type: application/sdp',
];

/** Header values that stress the name-addr, URI, Via and CSeq grammars. */
const ODD_VALUES = [
  '',
  ' ',
  '<',
  '<>',
  '<sip:>',
  '"unterminated <sip:a@b>',
  '"\\" <sip:a@b>',
  'sip:a@b;tag=',
  '<sip:a@b>;tag=x;tag=y',
  '<sip:a@[::1>',
  '<sip:a@256.256.256.256:99999>',
  '<sips:a@b;transport=tls>;+sip.instance="<urn:uuid:x>"',
  '<tel:+1-555;phone-context=>',
  '<urn:service:sos>',
  '*',
  ',',
  ';',
  ',,,,',
  'SIP/2.0/UDP',
  'SIP/2.0/UDP 127.0.0.3:5060;branch=',
  'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK;received=;rport=x',
  'SIP/2.0/UDP [::1:5060;branch=z9hG4bK-x',
  'SIP/2.0/XYZ 127.0.0.3;maddr=127.0.0.9;branch=z9hG4bK-m',
  'SIP/3.0/UDP 127.0.0.3;branch=z9hG4bK-v3',
  '1',
  '0 INVITE',
  '4294967296 INVITE',
  '99999999999999999999 INVITE',
  '-1 INVITE',
  '1 INVITE extra',
  'INVITE 1',
  '70000',
  '-1',
  '0',
  '1.5',
  'application/sdp; charset=utf-8',
  'Application/SDP',
  'multipart/mixed',
  'multipart/mixed;boundary=',
  'multipart/mixed;boundary="x"',
  'text/plain',
  'message/sipfrag',
  '%00%0d%0a',
  '\u00ff\u00fe',
  'id;critical',
  'session;critical',
];

/** Headers an attacker adds: extensions, routes, Privacy (including the documented 500), duplicates. */
export const INJECTED_HEADERS = [
  'Privacy: id;critical',
  'Privacy: session;critical',
  'Privacy: session',
  'Privacy: header;user;session;id;history;critical',
  'Privacy: none',
  'Require: 100rel',
  'Require: x-fuzz',
  'Proxy-Require: x-fuzz',
  'Supported: 100rel, timer',
  'Route: <sip:127.0.0.10:5060;lr;as=weather-as>',
  'Route: <sip:127.0.0.10:5060;lr;dcg=tok1>',
  'Route: <sip:127.0.0.9:5060;lr>',
  'Record-Route: <sip:127.0.0.9;lr>',
  'Max-Forwards: 0',
  'Max-Forwards: 99999999999',
  'P-DC-Initiator: weather-as',
  'P-DC-Initiator: core',
  'P-Asserted-Identity: <sip:+15559999999@evil.example>',
  'Content-Encoding: gzip',
  'Content-Type: text/plain',
  'Content-Disposition: session;handling=required',
  'Content-Disposition: render',
  'Call-ID: second-call-id',
  'CSeq: 9 INVITE',
  'To: <sip:other@ims.example.net>;tag=zz',
  'From: <sip:other@ims.example.net>;tag=zz',
  'RSeq: 1',
  'RAck: 1 1 INVITE',
  'Session-Expires: 90;refresher=uac',
  'Min-SE: 99999999999',
  'Event: refer',
  'Refer-To: <sip:127.0.0.9>',
  'Contact: *',
  'Contact: <sip:127.0.0.9:5060>;expires=0',
  'Allow: INVITE',
  'Accept: application/sdp',
  'Reason: Q.850;cause=16;text="Alice called"',
  'History-Info: <sip:+15550001111@ims.example.net>;index=1',
];

/**
 * Bytes JavaScript or a UTF-8 decoder may read as something else: NBSP, NEL, UTF-8 NBSP, LINE
 * SEPARATOR, BOM, ideographic space (all white space to String.trim() and \s), an overlong NUL,
 * a lone surrogate, a code point past U+10FFFF, a cut sequence.
 */
const NON_ASCII = [[0xa0], [0x85], [0xc2, 0xa0], [0xe2, 0x80, 0xa8], [0xef, 0xbb, 0xbf], [0xe3, 0x80, 0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x80]].map((b) =>
  String.fromCharCode(...b),
);

const count = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 3, arbitrary: fc.integer({ min: 21, max: 400 }) },
  { weight: 1, arbitrary: fc.integer({ min: 401, max: 4_000 }) },
);
const position = fc.nat({ max: 1 << 20 });
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 24 });
const interestingByte = fc.constantFrom(0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x3d, 0x40, 0x5c, 0x7f, 0x80, 0xc3, 0xff);

const repeatTarget = fc.constantFrom<RepeatTarget>('params', 'via-lines', 'via-list', 'long-value', 'headers', 'routes', 'm-lines', 'dcmap', 'multipart-parts', 'multipart-depth');
const nameStyle = fc.constantFrom<NameStyle>('upper', 'lower', 'alternate', 'compact', 'expand', 'space-before-colon');
const lengthLie = fc.constantFrom<LengthLie>('zero', 'minus-one', 'plus-one', 'huge', 'negative', 'junk', 'twice', 'remove', 'eleven-digits', 'leading-zeros');
const mixPart = fc.constantFrom<MixPart>('start-line', 'headers', 'body', 'method', 'cseq-method', 'status');
const lineEndings = fc.constantFrom<LineEndings>('lf', 'cr', 'mixed', 'header-lf', 'cr-cr-lf');

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set-byte' as const), at: position, byte: interestingByte }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: position, bytes: latin1 }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), at: position, length: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('dup-line' as const), line: position, times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop-line' as const), line: position }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap-lines' as const), a: position, b: position }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('repeat' as const), what: repeatTarget, line: position, count }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('name' as const), line: position, style: nameStyle }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fold' as const), line: position, at: position, ws: fc.constantFrom(' ', '\t', ' \t ', '') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('content-length' as const), lie: lengthLie }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('sdp-line' as const), line: position, text: fc.constantFrom(...BAD_SDP_LINES) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mix' as const), donor: position, part: mixPart, pick: position }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('value' as const), line: position, value: fc.constantFrom(...ODD_VALUES) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('add-header' as const), header: fc.constantFrom(...INJECTED_HEADERS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('line-endings' as const), how: lineEndings }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('non-ascii' as const), line: position, at: position, bytes: fc.constantFrom(...NON_ASCII) }) },
);

/** One to four mutations (sometimes none: valid messages in odd states are inputs too). */
export const mutatedInputArb: fc.Arbitrary<MutatedInput> = fc.record({
  mutations: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 12, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) }),
  fixLength: fc.boolean(),
});
