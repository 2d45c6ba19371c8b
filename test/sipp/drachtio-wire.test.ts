import t from 'tap';
import { DialogBook } from '../../src/front/drachtio/dialog-book.ts';
import { RSeqMap } from '../../src/front/drachtio/rseq-map.ts';
import {
  ackOptions,
  dialogRequest,
  offSelf,
  reportedAddresses,
  responseSpec,
  sendableRequestUri,
  standaloneRequest,
  withControllerCSeq,
} from '../../src/front/drachtio/srf-wire.ts';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';

// The drachtio front end's translations, without a drachtio-server (drachtio-flows.test.ts runs
// them on the wire).

const invite: SipRequest = {
  kind: 'request',
  method: 'INVITE',
  uri: 'tel:+15550002222;phone-context=ims.example.net',
  headers: [
    { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.12:25060;branch=z9hG4bK-dcg-1;rport' },
    { name: 'Max-Forwards', value: '69' },
    { name: 'Route', value: '<sip:127.0.0.3:5060;lr>' },
    { name: 'Route', value: '<sip:127.0.0.12:25060;lr;dcg=tok1>' },
    { name: 'From', value: '<sip:dcg-a@pseudonym.invalid>;tag=dcg-tag-1' },
    { name: 'To', value: '<sip:dcg-b@pseudonym.invalid>' },
    { name: 'Call-ID', value: 'dcg-call-1' },
    { name: 'CSeq', value: '1 INVITE' },
    { name: 'Contact', value: '<sip:127.0.0.12:25060>' },
    { name: 'P-Asserted-Identity', value: '<sip:dcg-a@pseudonym.invalid>' },
    { name: 'P-Asserted-Identity', value: '<tel:+15550001111>' },
    { name: 'Content-Type', value: 'application/sdp' },
    { name: 'Content-Length', value: '5' },
  ],
  body: 'v=0\r\n',
};

t.test('a request outside a dialog keeps the controller identifiers and carries its route set in the Request-URI', async (t) => {
  const spec = standaloneRequest(invite, 'sip:127.0.0.3:5060');
  t.equal(spec.opts.proxy, 'sip:127.0.0.3:5060', 'sent where the controller decided');
  t.equal(spec.opts.method, 'INVITE');
  const headers = spec.opts.headers ?? {};
  t.same(
    Object.keys(headers),
    ['Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'P-Asserted-Identity', 'Content-Type'],
    'no Via, Route or Content-Length: drachtio-server writes or refuses them',
  );
  t.equal(headers['P-Asserted-Identity'], '<sip:dcg-a@pseudonym.invalid>, <tel:+15550001111>', 'list headers joined with commas');
  t.equal(
    spec.uri,
    `sip:+15550002222;phone-context=ims.example.net@127.0.0.3;user=phone?Route=${encodeURIComponent('<sip:127.0.0.3:5060;lr>, <sip:127.0.0.12:25060;lr;dcg=tok1>')}`,
    'tel: as its SIP form on the next hop; the route set in the headers component',
  );
});

t.test('only tel: Request-URIs are rewritten', async (t) => {
  t.equal(sendableRequestUri('sip:bob@ims.example.net', 'sip:127.0.0.2:5080'), 'sip:bob@ims.example.net');
  t.equal(sendableRequestUri('tel:+15550002222', 'sip:[::1]:5080;transport=tcp'), 'sip:+15550002222@[::1];user=phone');
  t.equal(standaloneRequest({ ...invite, uri: 'sip:bob@ims.example.net', headers: invite.headers.filter((h) => h.name !== 'Route') }, 'sip:x').uri, 'sip:bob@ims.example.net');
});

t.test('inside a dialog, and for ACK and CANCEL, the dialog writes what it owns', async (t) => {
  const bye: SipRequest = { ...invite, method: 'BYE', uri: 'sip:weather@127.0.0.3:5060', body: '' };
  const spec = dialogRequest(bye, 'dcg-call-1;from-tag=dcg-tag-1');
  t.equal(spec.opts.stackDialogId, 'dcg-call-1;from-tag=dcg-tag-1');
  t.equal(spec.opts.proxy, undefined);
  t.notOk('Route' in (spec.opts.headers ?? {}), 'the route set is the one drachtio-server learned');
  t.same(Object.keys(ackOptions(bye).headers ?? {}), ['Max-Forwards', 'Contact', 'P-Asserted-Identity', 'Content-Type']);
});

t.test('a response keeps the To tag the controller chose; the echoed headers are drachtio-server\'s', async (t) => {
  const res: SipResponse = {
    kind: 'response',
    status: 403,
    reason: 'Forbidden',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-1' },
      { name: 'From', value: '<sip:a@b>;tag=1' },
      { name: 'To', value: '<sip:b@c>;tag=dcg-tag-9' },
      { name: 'Call-ID', value: 'c1' },
      { name: 'CSeq', value: '3 BYE' },
      { name: 'Warning', value: '399 127.0.0.12 "dialog.terminate-not-granted"' },
    ],
    body: '',
  };
  t.same(responseSpec(res), {
    status: 403,
    reason: 'Forbidden',
    opts: { headers: { To: '<sip:b@c>;tag=dcg-tag-9', Warning: '399 127.0.0.12 "dialog.terminate-not-granted"' }, body: '' },
  });
  t.equal(getHeader(withControllerCSeq(res, 7, 'BYE'), 'CSeq'), '7 BYE', "the dialog's CSeq put back to the controller's");
  t.equal(getHeader(res, 'CSeq'), '3 BYE', 'the original is not touched');
});

t.test('drachtio-server addresses and the dialog book', async (t) => {
  t.same(reportedAddresses('tcp/127.0.0.11:5070,udp/127.0.0.11:5070'), ['127.0.0.11:5070', '127.0.0.11:5070']);
  const book = new DialogBook<string, string>(2);
  book.noteDialog('c1', 'a', 'c1;from-tag=a');
  t.equal(book.dialogOf('c1', 'a'), 'c1;from-tag=a');
  t.equal(book.dialogOf('c1', null), undefined);
  book.noteAck('c1', 'a', 1, 'ack1');
  t.equal(book.takeAck('c1', 'a', 1), 'ack1');
  t.equal(book.takeAck('c1', 'a', 1), undefined, 'an ACK function is used once');
  book.noteDialog('c2', 'b', 'd2');
  book.noteDialog('c3', 'c', 'd3');
  t.equal(book.dialogOf('c1', 'a'), undefined, 'capped, oldest first');
  book.forgetDialog('c3', 'c');
  t.same(book.size, { dialogs: 1, acks: 0, invites: 0 });
});

t.test('a Request-URI naming drachtio-server itself is retargeted to the destination, user and parameters kept', async (t) => {
  t.equal(offSelf('sip:service@127.0.0.12:25060;user=phone', 'sip:127.0.0.2:5080;transport=tcp', ['127.0.0.12:25060']), 'sip:service@127.0.0.2:5080;user=phone');
  t.equal(offSelf('sip:service@127.0.0.12', 'sip:127.0.0.2:5080', ['127.0.0.12:5060']), 'sip:service@127.0.0.2:5080', 'the default port counts');
  t.equal(offSelf('sip:bob@ims.example.net', 'sip:127.0.0.2:5080', ['127.0.0.12:25060']), 'sip:bob@ims.example.net', 'any other URI is left alone');
});

t.test('RSeqMap: the caller PRACKs drachtio-server\'s RSeq; the callee gets its own back in RAck', async (t) => {
  const map = new RSeqMap();
  map.note('call-1', 'SIP/2.0 183 Session Progress\r\nRSeq: 1006956322\r\nRequire: 100rel\r\n\r\n', '4711');
  t.equal(map.rack('call-1', '1006956322 1 INVITE'), '4711 1 INVITE');
  t.equal(map.rack('call-2', '1006956322 1 INVITE'), '1006956322 1 INVITE', 'another dialog: left as it is');
  t.equal(map.rack('call-1', '5 1 INVITE'), '5 1 INVITE', 'an RSeq drachtio-server never sent: left as it is');
  map.note('call-3', 'SIP/2.0 180 Ringing\r\n\r\n', '7');
  t.equal(map.rack('call-3', '7 1 INVITE'), '7 1 INVITE', 'an unreliable provisional notes nothing');
});
