/** Require / Proxy-Require option tags the guard does not support (RFC 3261 8.2.2.3, 20.29, 20.32). */
import t from 'tap';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { SUPPORTED_EXTENSIONS, unsupportedExtensions } from '../../src/sip/required-extensions.ts';

function requestWith(method: string, extra: readonly string[]): SipRequest {
  const msg = parseSipMessage(
    [
      `${method} sip:bob@example.com SIP/2.0`,
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreq',
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=a',
      'To: <sip:bob@example.com>',
      'Call-ID: req-ext-1',
      `CSeq: 1 ${method}`,
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  if (msg.kind !== 'request') {
    throw new Error('not a request');
  }
  return msg;
}

t.test('SUPPORTED_EXTENSIONS: what a relaying B2BUA can honour', async (t) => {
  t.same([...SUPPORTED_EXTENSIONS].sort(), ['100rel', 'timer']);
  t.notOk(SUPPORTED_EXTENSIONS.has('replaces'), 'Replaces names the other leg dialog: not translated');
  t.notOk(SUPPORTED_EXTENSIONS.has('precondition'));
});

t.test('no Require, or only supported tags: nothing unsupported', async (t) => {
  t.same(unsupportedExtensions(requestWith('INVITE', []), SUPPORTED_EXTENSIONS), []);
  t.same(unsupportedExtensions(requestWith('INVITE', ['Require: 100rel, timer', 'Supported: foo']), SUPPORTED_EXTENSIONS), [], 'Supported is no demand');
});

t.test('Require and Proxy-Require, every line and every value (RFC 4475 3.1.1 style)', async (t) => {
  const req = requestWith('INVITE', ['Require: newfeature1, newfeature2', 'Proxy-Require: newfeature3, newfeature4', 'Require: 100rel,precondition']);
  t.same(unsupportedExtensions(req, SUPPORTED_EXTENSIONS), ['newfeature1', 'newfeature2', 'newfeature3', 'newfeature4', 'precondition']);
});

t.test('option tags are tokens: compared case-insensitively (RFC 3261 7.3.1), returned as written, once', async (t) => {
  const req = requestWith('OPTIONS', ['Require: 100REL, Timer, Foo', 'Proxy-Require: foo, FOO']);
  t.same(unsupportedExtensions(req, SUPPORTED_EXTENSIONS), ['Foo']);
  t.same(unsupportedExtensions(req, new Set(['FOO'])), ['100REL', 'Timer'], 'the supported set is matched ignoring case too');
});

t.test('CANCEL and ACK: Require and Proxy-Require are ignored (RFC 3261 8.2.2.3)', async (t) => {
  t.same(unsupportedExtensions(requestWith('CANCEL', ['Require: foo']), SUPPORTED_EXTENSIONS), []);
  t.same(unsupportedExtensions(requestWith('ACK', ['Proxy-Require: foo']), SUPPORTED_EXTENSIONS), []);
  t.same(unsupportedExtensions(requestWith('BYE', ['Proxy-Require: foo']), SUPPORTED_EXTENSIONS), ['foo']);
});

t.test('hand-built requests with odd-case header names and empty values', async (t) => {
  const req: SipRequest = {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:bob@example.com',
    headers: [
      { name: 'require', value: ' , sec-agree ,, ' },
      { name: 'PROXY-REQUIRE', value: '' },
    ],
    body: '',
  };
  t.same(unsupportedExtensions(req, SUPPORTED_EXTENSIONS), ['sec-agree']);
});
