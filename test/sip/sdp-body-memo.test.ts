/**
 * classifyMessageBody remembers classifications: the parser's reading under the profile's limits
 * must stay the message's reading however many other bodies are classified after it, and a copy
 * of a message (same body string) gets the same reading.
 */
import t from 'tap';
import { DEFAULT_MESSAGE_LIMITS } from '../../src/sip/message-limits.ts';
import { classifyMessageBody } from '../../src/sip/sdp-body.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n';

function invite(body: string, type: string): string {
  return [
    'INVITE sip:bob@192.0.2.2 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1',
    'From: <sip:alice@192.0.2.1>;tag=a',
    'To: <sip:bob@192.0.2.2>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    `Content-Type: ${type}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** SDP and then text parts: `n` parts in all. */
function multipart(n: number): string {
  const lines = ['--b', 'Content-Type: application/sdp', '', SDP];
  for (let i = 1; i < n; i += 1) {
    lines.push('--b', 'Content-Type: text/plain', '', `part ${i}`);
  }
  return [...lines, '--b--', ''].join('\r\n');
}

t.test('a body within the profile\'s limits but over the defaults keeps the reading the profile gave it', async (t) => {
  // A classification without limits allows 16 parts (src/sip/body-limits.ts); this profile, 24.
  const body = multipart(20);
  const msg = parseSipMessage(invite(body, 'multipart/mixed;boundary=b'), { ...DEFAULT_MESSAGE_LIMITS, maxBodyParts: 24 });
  t.equal(classifyMessageBody(msg).kind, 'parts', 'as the parser read it');
  // Other bodies (the same with trailing blanks), classified without limits: over them.
  for (let i = 0; i < 50; i += 1) {
    classifyMessageBody({ kind: 'request', method: 'INVITE', uri: `sip:x${i}@192.0.2.9`, headers: msg.headers, body: `${body}${' '.repeat(i)}` });
  }
  t.equal(classifyMessageBody({ kind: 'request', method: 'INVITE', uri: 'sip:y@192.0.2.9', headers: msg.headers, body: `${body} ` }).kind, 'invalid', 'over 16 parts without the profile');
  t.equal(classifyMessageBody(msg).kind, 'parts', 'the parsed message keeps it after 50 other classifications');
});

t.test('a changed body is classified again, not answered from memory', async (t) => {
  const msg = parseSipMessage(invite(SDP, 'application/sdp'));
  t.equal(classifyMessageBody(msg).kind, 'parts');
  msg.body = 'not sdp at all';
  const again = classifyMessageBody(msg);
  t.not(again.kind === 'parts' && again.parts[0]?.content === SDP, true, 'the old SDP is not returned for the new body');
});
