import t from 'tap';
import { readSdp } from '../../src/sdp/read-sdp.ts';
import { SdpParseError } from '../../src/sdp/sdp-parse-error.ts';
import type { DcChannel, SdpView } from '../../src/sdp/sdp-types.ts';
import { AUDIO_ONLY, IMS_OFFER, PRIMER_EXAMPLE, crlf } from './fixtures/sdps.ts';

/** A small SDP: session lines, then the given m-sections, all joined with `eol`. */
function sdp(sections: string[][], eol = '\r\n', session = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0']): string {
  return [...session, ...sections.flat()].join(eol) + eol;
}

const DC = 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel';

function channels(view: SdpView, index = 0): readonly DcChannel[] {
  return view.dcMedia[index]?.channels ?? [];
}

function summary(view: SdpView, index = 0): string[] {
  return channels(view, index).map((c) => `${c.streamId}:${c.kind}:${c.appId ?? '-'}`);
}

t.test('the IMS offer fixture', async (t) => {
  const view = readSdp(crlf(IMS_OFFER));
  t.equal(view.raw, crlf(IMS_OFFER));
  t.equal(view.mediaCount, 2);
  t.same(view.mediaTypes, ['audio', 'application']);
  t.same(view.origin, { username: '-', sessionId: '1733000000', sessionVersion: '1' });
  t.equal(view.dcMedia.length, 1);
  const media = view.dcMedia[0];
  t.match(media, { index: 1, port: 52718, proto: 'UDP/DTLS/SCTP', bandwidthKbps: 500 });
  t.same(channels(view), [
    { streamId: 0, kind: 'bootstrap', appId: null, label: null, subprotocol: 'http', dcmapParams: 'subprotocol="http"', dcsa: [] },
    { streamId: 100, kind: 'bootstrap', appId: null, label: null, subprotocol: 'http', dcmapParams: 'subprotocol="http"', dcsa: [] },
    {
      streamId: 1000,
      kind: 'application',
      appId: 'com.example.weather',
      label: 'weather',
      subprotocol: 'x-app',
      dcmapParams: 'label="weather";subprotocol="x-app";ordered=true',
      dcsa: [],
    },
    {
      streamId: 1001,
      kind: 'application',
      appId: 'com.example.chat',
      label: 'chat',
      subprotocol: 'x-chat',
      dcmapParams: 'label="chat";subprotocol="x-chat";max-retr=3',
      dcsa: ['3gpp-req-app:com.example.chat endpoint=ue', 'max-message-size:2048'],
    },
  ]);
});

t.test("the primer's example", async (t) => {
  const view = readSdp(PRIMER_EXAMPLE);
  t.same(view.mediaTypes, ['application']);
  t.match(view.dcMedia[0], { index: 0, port: 52718, bandwidthKbps: 500 });
  t.same(summary(view), ['0:bootstrap:-', '1000:application:com.example.weather']);
  t.equal(channels(view)[1]?.label, 'weather');
});

t.test('audio only: no DC media', async (t) => {
  const view = readSdp(AUDIO_ONLY);
  t.same(view.mediaTypes, ['audio']);
  t.same(view.dcMedia, []);
});

t.test('not an SDP: SdpParseError', async (t) => {
  for (const text of ['', '   \r\n ', 'INVITE sip:bob@example.com SIP/2.0\r\n', 'o=- 1 1 IN IP4 x\r\nv=0\r\n', '<xml/>', 'V=0\r\n']) {
    t.throws(() => readSdp(text), SdpParseError, JSON.stringify(text));
  }
  t.throws(() => readSdp(undefined as unknown as string), SdpParseError, 'not a string');
  try {
    readSdp('hello');
  } catch (error) {
    t.ok(error instanceof SdpParseError);
    t.equal((error as Error).name, 'SdpParseError');
  }
});

t.test('lenient: empty lines (CR/LF only) before v=; any other white space before it is refused', async (t) => {
  const view = readSdp('\r\n\n\r' + PRIMER_EXAMPLE);
  t.equal(view.raw, '\r\n\n\r' + PRIMER_EXAMPLE);
  t.equal(view.mediaCount, 1);
  t.same(summary(view), ['0:bootstrap:-', '1000:application:com.example.weather']);
  for (const prefix of ['\r\n  \t', ' ', '\t', '\ufeff', '\r\n\u00a0']) {
    t.throws(() => readSdp(prefix + PRIMER_EXAMPLE), SdpParseError, JSON.stringify(prefix));
  }
});

t.test('lenient: LF line endings', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:0 subprotocol="http"', 'a=dcmap:1000 label="x"', 'a=3gpp-req-app:com.example.x']], '\n'));
  t.same(summary(view), ['0:bootstrap:-', '1000:application:com.example.x']);
});

t.test('lenient: CRLF line endings', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:0 subprotocol="http"', 'a=dcmap:1000 label="x"', 'a=3gpp-req-app:com.example.x']], '\r\n'));
  t.same(summary(view), ['0:bootstrap:-', '1000:application:com.example.x']);
  t.equal(channels(view)[1]?.dcmapParams, 'label="x"', 'no CR left in values');
});

t.test('lenient: mixed line endings (and a lone CR)', async (t) => {
  const raw = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\nt=0 0\n' + DC + '\r\na=dcmap:1000 label="x"\ra=3gpp-req-app:com.example.x\n';
  const view = readSdp(raw);
  t.same(summary(view), ['1000:application:com.example.x']);
  t.equal(view.origin?.sessionVersion, '1');
});

t.test('lenient: no final line ending', async (t) => {
  const view = readSdp('v=0\r\n' + DC + '\r\na=dcmap:1000 label="x"');
  t.same(summary(view), ['1000:application:-']);
});

t.test('lenient: attributes in any order (dcsa and req-app before the dcmap they name)', async (t) => {
  const view = readSdp(
    sdp([
      [
        DC,
        'a=dcsa:1001 3gpp-req-app:com.example.chat',
        'a=3gpp-req-app:com.example.weather',
        'a=dcsa:1000 max-retr:3',
        'a=tls-id:abc',
        'a=dcmap:1000 label="weather"',
        'a=sctp-port:5000',
        'a=dcmap:0 subprotocol="http"',
        'a=dcmap:1001 label="chat"',
        'b=AS:64',
      ],
    ]),
  );
  t.same(summary(view), ['1000:application:com.example.weather', '0:bootstrap:-', '1001:application:com.example.chat']);
  t.same(channels(view)[0]?.dcsa, ['max-retr:3']);
  t.equal(view.dcMedia[0]?.bandwidthKbps, 64);
});

t.test('lenient: IPv6 c= line', async (t) => {
  const view = readSdp(sdp([[DC, 'c=IN IP6 2001:db8::1', 'a=dcmap:0 subprotocol="http"']], '\r\n', ['v=0', 'o=- 1 1 IN IP6 2001:db8::1', 's=-', 't=0 0']));
  t.same(summary(view), ['0:bootstrap:-']);
  t.equal(view.dcMedia[0]?.port, 9);
});

t.test('lenient: session-level c= only', async (t) => {
  const view = readSdp(sdp([['m=audio 4000 RTP/AVP 0'], [DC, 'a=dcmap:100 subprotocol="http"', 'a=3gpp-bdc-used-by:sender']], '\r\n', ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0']));
  t.same(view.mediaTypes, ['audio', 'application']);
  t.same(summary(view), ['100:bootstrap:-']);
});

t.test('lenient: missing s= and t=, no o= gives origin null', async (t) => {
  const view = readSdp('v=0\r\n' + DC + '\r\na=dcmap:0 subprotocol="http"\r\n');
  t.equal(view.origin, null);
  t.equal(view.mediaCount, 1);
  t.same(summary(view), ['0:bootstrap:-']);
});

t.test('a malformed o= line gives origin null', async (t) => {
  t.equal(readSdp('v=0\r\no=alice\r\n').origin, null);
});

t.test('an o= line after the first m-line is not the origin', async (t) => {
  t.equal(readSdp('v=0\r\nm=audio 1 RTP/AVP 0\r\no=- 1 1 IN IP4 x\r\n').origin, null);
});

t.test('a 64-bit session version stays exact', async (t) => {
  t.equal(readSdp('v=0\r\no=- 18446744073709551615 18446744073709551615 IN IP4 x\r\n').origin?.sessionVersion, '18446744073709551615');
});

t.test('lenient: several DC m-lines', async (t) => {
  const view = readSdp(
    sdp([
      ['m=audio 4000 RTP/AVP 0'],
      [DC, 'b=AS:100', 'a=dcmap:0 subprotocol="http"'],
      ['m=application 5002 DTLS/SCTP webrtc-datachannel', 'a=dcmap:1000 label="a"', 'a=3gpp-req-app:com.example.a'],
      ['m=application 0 TCP/DTLS/SCTP webrtc-datachannel', 'a=dcmap:1002 label="c"'],
    ]),
  );
  t.same(
    view.dcMedia.map((m) => [m.index, m.port, m.proto, m.bandwidthKbps, m.channels.length]),
    [
      [1, 9, 'UDP/DTLS/SCTP', 100, 1],
      [2, 5002, 'DTLS/SCTP', null, 1],
      [3, 0, 'TCP/DTLS/SCTP', null, 1],
    ],
  );
  t.same(summary(view, 1), ['1000:application:com.example.a']);
});

t.test('lenient: a DC m-line before audio', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:10 subprotocol="http"'], ['m=audio 4000 RTP/AVP 0', 'a=sendrecv']]));
  t.same(view.mediaTypes, ['application', 'audio']);
  t.equal(view.dcMedia[0]?.index, 0);
  t.same(summary(view), ['10:bootstrap:-']);
});

t.test('lenient: quoted label containing ;', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:1000 label="a;b";subprotocol="x;y";ordered=true', 'a=3gpp-req-app:com.example.ab']]));
  t.match(channels(view)[0], { label: 'a;b', subprotocol: 'x;y', dcmapParams: 'label="a;b";subprotocol="x;y";ordered=true', appId: 'com.example.ab' });
});

t.test('strict: a stream id mapped twice in one m-line is unreadable (first-wins and last-wins readers disagree)', async (t) => {
  t.throws(() => readSdp(sdp([[DC, 'a=dcmap:1000 label="first"', 'a=3gpp-req-app:com.example.first', 'a=dcmap:1000 label="second"']])), SdpParseError);
  // The attack: an app channel to a first-wins reader, an HTTP bootstrap to a last-wins one.
  t.throws(() => readSdp(sdp([[DC, 'a=dcmap:0 label="weather";subprotocol="x-app"', 'a=3gpp-req-app:com.example.weather', 'a=dcmap:0 subprotocol="http"']])), /stream id already mapped/);
});

t.test('lenient: trailing whitespace', async (t) => {
  const view = readSdp('v=0 \r\no=- 1 5 IN IP4 x  \r\n' + DC + ' \t\r\nb=AS:300 \r\na=dcmap:0 subprotocol="http"  \r\na=dcmap:1000 label="x" \r\na=3gpp-req-app:com.example.x \r\n');
  t.equal(view.origin?.sessionVersion, '5');
  t.equal(view.dcMedia[0]?.bandwidthKbps, 300);
  t.same(summary(view), ['0:bootstrap:-', '1000:application:com.example.x']);
  t.equal(channels(view)[0]?.dcmapParams, 'subprotocol="http"');
});

t.test('lenient: proto is matched case-insensitively; every SCTP m-line is a DC m-line, whatever its fmt', async (t) => {
  const view = readSdp(
    sdp([
      ['m=application 1 udp/dtls/sctp webrtc-datachannel'],
      ['m=application 2 DTLS/SCTP WEBRTC-DATACHANNEL'],
      ['m=application 3 TCP/DTLS/SCTP webrtc-datachannel'],
      ['m=application 4 UDP/DTLS/SCTP 5000'],
      ['m=application 5 RTP/AVP webrtc-datachannel'],
    ]),
  );
  t.same(
    view.dcMedia.map((m) => m.index),
    [0, 1, 2, 3],
    'the old sctpmap form (fmt = SCTP port) is policed too; RTP/AVP is not',
  );
});

t.test('lenient: tab-separated m-line and a port count still make a DC m-line', async (t) => {
  const view = readSdp(sdp([['m=application\t9\tUDP/DTLS/SCTP\twebrtc-datachannel', 'a=dcmap:1000 label="x"'], ['m=application  5000/2 UDP/DTLS/SCTP  webrtc-datachannel', 'a=dcmap:1001 label="y"']]));
  t.same(
    view.dcMedia.map((m) => [m.index, m.port]),
    [
      [0, 9],
      [1, 5000],
    ],
  );
});

t.test('port 0 DC m-lines are listed with their channels as written', async (t) => {
  const view = readSdp(sdp([['m=application 0 UDP/DTLS/SCTP webrtc-datachannel', 'a=dcmap:0 subprotocol="http"', 'a=dcmap:1000 label="x"']]));
  t.equal(view.dcMedia[0]?.port, 0);
  t.same(summary(view), ['0:bootstrap:-', '1000:application:-']);
});

t.test('classification: bootstrap only for subprotocol http on 0, 10, 100, 110', async (t) => {
  const view = readSdp(
    sdp([
      [
        DC,
        'a=dcmap:0 subprotocol="http"',
        'a=dcmap:10 subprotocol=http',
        'a=dcmap:100 label="bdc";subprotocol="http"',
        'a=dcmap:110 subprotocol="http"',
        'a=dcmap:1 subprotocol="http"',
        'a=dcmap:5 label="x"',
        'a=dcmap:1000 subprotocol="http"',
      ],
    ]),
  );
  t.same(summary(view), ['0:bootstrap:-', '10:bootstrap:-', '100:bootstrap:-', '110:bootstrap:-', '1:application:-', '5:application:-', '1000:application:-']);
});

t.test('classification: stream 0 with another subprotocol is policed as an application with its req-app', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:0 subprotocol="x-evil"', 'a=3gpp-req-app:com.example.evil', 'a=dcmap:10 subprotocol="HTTP"']]));
  // "HTTP" is still http to a lenient peer: a bootstrap, which needs the bootstrap grant.
  t.same(summary(view), ['0:application:com.example.evil', '10:bootstrap:-']);
});

t.test('classification: a bootstrap channel never carries an app id', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:0 subprotocol="http"', 'a=3gpp-req-app:com.example.x', 'a=dcmap:1000 label="x"']]));
  t.same(summary(view), ['0:bootstrap:-', '1000:application:-'], 'the req-app after dcmap:0 belongs to stream 0, so 1000 is unknown');
});

t.test('association: dcsa req-app, preceding dcmap, leading req-app', async (t) => {
  const view = readSdp(
    sdp([
      [
        DC,
        'a=3gpp-req-app:com.example.lead1 endpoint=ue',
        'a=3gpp-req-app:com.example.lead2',
        'a=dcmap:0 subprotocol="http"',
        'a=dcmap:1000 label="a"',
        'a=dcmap:1001 label="b"',
        'a=3gpp-req-app:com.example.b',
        'a=dcmap:1002 label="c"',
        'a=dcmap:1003 label="d"',
        'a=dcsa:1003 3gpp-req-app:com.example.d status=active',
        'a=dcmap:1004 label="e"',
      ],
    ]),
  );
  t.same(summary(view), [
    '0:bootstrap:-',
    '1000:application:com.example.lead1',
    '1001:application:com.example.b',
    '1002:application:com.example.lead2',
    '1003:application:com.example.d',
    '1004:application:-',
  ]);
});

t.test('association: two different app ids for one channel make it an unknown app', async (t) => {
  const view = readSdp(
    sdp([
      [
        DC,
        'a=dcmap:1000 label="a"',
        'a=dcsa:1000 3gpp-req-app:com.example.granted',
        'a=3gpp-req-app:com.example.other',
        'a=dcmap:1001 label="b"',
        'a=dcsa:1001 3gpp-req-app:com.example.same',
        'a=3gpp-req-app:com.example.same endpoint=ue',
        'a=3gpp-req-app:',
      ],
    ]),
  );
  t.same(summary(view), ['1000:application:-', '1001:application:com.example.same']);
});

t.test('association: a conflicted channel does not take a leading req-app', async (t) => {
  const view = readSdp(sdp([[DC, 'a=3gpp-req-app:com.example.lead', 'a=dcmap:1000 label="a"', 'a=dcsa:1000 3gpp-req-app:com.example.x', 'a=dcsa:1000 3gpp-req-app:com.example.y', 'a=dcmap:1001 label="b"']]));
  t.same(summary(view), ['1000:application:-', '1001:application:com.example.lead']);
});

t.test('an application channel without any req-app is an unknown app', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:1000 label="a"', 'a=dcmap:1001 label="b"', 'a=3gpp-req-app:']]));
  t.same(summary(view), ['1000:application:-', '1001:application:-']);
});

t.test('dcsa lines attach to their stream; dcsa for a stream without dcmap is ignored', async (t) => {
  const view = readSdp(sdp([[DC, 'a=dcmap:1000 label="a"', 'a=dcsa:1000 max-retr:3', 'a=dcsa:2000 3gpp-req-app:com.example.ghost', 'a=dcsa:1000  ordered:true ']]));
  t.same(channels(view)[0]?.dcsa, ['max-retr:3', 'ordered:true']);
  t.equal(channels(view).length, 1);
});

t.test('dcmap lines with an unreadable stream id are refused, not ignored (a lenient peer may still open them)', async (t) => {
  for (const line of ['a=dcmap:abc label="a"', 'a=dcmap:-1 label="b"', 'a=dcmap:12x label="c"', 'a=dcmap', 'a=dcmap:', 'a=dcmap:1000;label="x"', 'a=dcmap:65536 subprotocol="http"', 'a=dcmap:000001 label="x"']) {
    t.throws(() => readSdp(sdp([[DC, 'a=dcmap:1000', line]])), SdpParseError, line);
  }
  const view = readSdp(sdp([[DC, 'a=dcmap:1000', 'a=dcmap:65535 label="top"', 'a=dcmap: 7 label="spaced"']]));
  t.same(summary(view), ['1000:application:-', '65535:application:-', '7:application:-']);
  t.equal(channels(view)[0]?.dcmapParams, '');
  t.same(readSdp(sdp([['m=audio 4000 RTP/AVP 0', 'a=dcmap:abc label="a"']])).dcMedia, [], 'outside a DC m-line a dcmap line means nothing and is not checked');
});

t.test('dcmap lines in a non-DC m-line are not channels', async (t) => {
  const view = readSdp(sdp([['m=audio 4000 RTP/AVP 0', 'a=dcmap:1000 label="a"']]));
  t.same(view.dcMedia, []);
});

t.test('b=AS: per m-line, session-level b= ignored, largest of several; any other type makes it unknown', async (t) => {
  const view = readSdp(
    sdp([[DC, 'b=RR:800', 'b=AS:200', 'b=AS:300'], [DC, 'b=as:50'], [DC, 'b=AS:lots'], [DC, 'b=TIAS:64000', 'b=AS:200']], '\r\n', ['v=0', 'b=AS:9999', 't=0 0']),
  );
  t.same(
    view.dcMedia.map((m) => m.bandwidthKbps),
    [300, 50, null, null],
  );
});

t.test('m-line types and counts', async (t) => {
  const view = readSdp(sdp([['m=audio 4000 RTP/AVP 0'], ['m=video 0 RTP/AVP 96'], ['m=text 5000 RTP/AVP 98'], [DC]]));
  t.equal(view.mediaCount, 4);
  t.same(view.mediaTypes, ['audio', 'video', 'text', 'application']);
});

t.test('found by the fuzzer: a non-RTP m-line with the DC format or DC attributes is a DC m-line whatever its proto', async (t) => {
  const view = readSdp(
    sdp([
      ['m=application 1 UDP/DTLS webrtc-datachannel', 'a=dcmap:1002 label="ads";subprotocol="x-app"', 'a=3gpp-req-app:com.example.ads'],
      ['m=application 2 TCP/DTLS 5000', 'a=dcmap:1000 label="w"'],
      ['m=application 3 DTLS x-anything', 'a=sctp-port:5000'],
      ['m=audio 4 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'],
      ['m=application 5 TCP/MRCPv2 1'],
    ]),
  );
  t.same(view.dcMedia.map((m) => m.index), [0, 1, 2], 'the ads channel of m-line 0 is policed like any other');
  t.same(view.dcMedia[0]?.channels.map((c) => c.streamId), [1002]);
});
