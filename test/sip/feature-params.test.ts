import fc from 'fast-check';
import t from 'tap';
import { featureParamsOf, formatFeatureParams, readFeatureParam } from '../../src/sip/feature-params.ts';
import { parseGenericParams } from '../../src/sip/header-values.ts';
import { parseNameAddr } from '../../src/sip/name-addr.ts';

/** The feature parameters of a Contact value, written again: what the guard would put on its own Contact. */
function rewritten(contact: string): string {
  return formatFeatureParams(featureParamsOf(parseNameAddr(contact).params));
}

t.test('feature tags are read and written again in RFC 3840 syntax; every other parameter is left out', async (t) => {
  t.equal(
    rewritten('<sip:alice@192.0.2.10:5060>;+sip.app-subtype="webrtc-datachannel";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;expires=600;q=0.7'),
    ';+sip.app-subtype="webrtc-datachannel";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video',
  );
  t.equal(rewritten('<sip:a@b>;reg-id=1;gr=urn:uuid:f81d4fae;pub-gruu="sip:a@b;gr=x";temp-gruu="sip:t@b;gr";transport=tcp;x-imsi=310150'), '', 'device and registration parameters are no feature tags');
  t.equal(rewritten('<sip:a@b>;+sip.instance="<urn:gsma:imei:35209900-176148-1>"'), ';+sip.instance="<urn:gsma:imei:35209900-176148-1>"', 'read as a string value (the policy decides)');
  t.equal(rewritten('<sip:a@b>;VIDEO;+SIP.App-Subtype="pdf"'), ';video;+sip.app-subtype="pdf"', 'names lower-cased: one spelling per tag');
  t.equal(rewritten('<sip:a@b>;methods="INVITE,BYE,!MESSAGE";+g.x="#>=3,#1:5,#=-2.5,TRUE"'), ';methods="INVITE,BYE,!MESSAGE";+g.x="#>=3,#1:5,#=-2.5,TRUE"', 'lists, negation, numerics, booleans');
  t.equal(rewritten('<sip:a@b>;description="<Alice\'s \\"phone\\">"'), ';description="<Alice\'s \\"phone\\">"', 'a string value with quoted-pairs, as written');
});

t.test('a quoted comma is one value of a list, not two parameters', async (t) => {
  const params = featureParamsOf(parseNameAddr('<sip:a@b>;+sip.app-subtype="a,b";audio').params);
  t.strictSame(params, [
    { name: '+sip.app-subtype', value: { kind: 'tokens', values: ['a', 'b'] } },
    { name: 'audio', value: { kind: 'flag' } },
  ]);
});

t.test('what does not read as the grammar is not a feature parameter (default deny, never passed raw)', async (t) => {
  const bad: [string, string | null][] = [
    ['+sip.app-subtype', 'webrtc-datachannel'], // unquoted: RFC 3840 9 quotes every value
    ['+sip.app-subtype', '""'], // empty list
    ['+sip.app-subtype', '"a,,b"'], // empty list element
    ['+sip.app-subtype', '"a, b"'], // no white space in a tag-value-list
    ['+sip.app-subtype', '"a;b"'],
    ['+sip.app-subtype', '"<unterminated"'],
    ['+sip.app-subtype', '"<a>b>"'],
    ['+sip.app-subtype', '"<a\\'], // quoted-pair at the end
    ['+x', '"<a\u0001b>"'], // control character in a string value
    ['+x', '"<a\\\u0001>"'], // even escaped
    ['+x', '"#>3"'], // not a numeric-relation
    ['+x', '"#abc"'],
    ['+', null], // ftag-name needs a letter
    ['+1abc', null],
    ['+a_b', null], // "_" is not an ftag-name character
    ['colour', null], // not a base tag
    ['sip.audio', null], // the sip tree without "+" is written as the base tag
  ];
  for (const [name, value] of bad) {
    t.equal(readFeatureParam(name, value), null, `${name}=${String(value)}`);
  }
  t.equal(readFeatureParam('video', null, true), null, 'Feature-Caps takes "+" names only (RFC 6809 6.3)');
  t.ok(readFeatureParam('+g.3gpp.srvcc', null, true), 'a "+" name is a feature-capability indicator');
});

t.test('a tag written twice is dropped altogether, a bad spelling of it included', async (t) => {
  t.equal(rewritten('<sip:a@b>;+sip.app-subtype="pdf";+sip.app-subtype="webrtc-datachannel";audio'), ';audio');
  t.equal(rewritten('<sip:a@b>;+sip.app-subtype=bad;+SIP.APP-SUBTYPE="webrtc-datachannel"'), '', 'the receiver might read the first');
});

t.test('bad quoting around a feature tag makes the whole Contact unreadable: nothing is read from it', async (t) => {
  t.throws(() => parseNameAddr('<sip:a@b>;+sip.app-subtype="webrtc-datachannel;video'), 'an unterminated quote');
  t.throws(() => parseNameAddr('<sip:a@b>;+sip.app-subtype="webrtc"-datachannel"'), 'a quote inside the value');
});

t.test('property: whatever the parameters, what is written again reads again as the same feature parameters', async (t) => {
  const piece = fc.constantFrom('+sip.app-subtype', 'video', '+g.3gpp.dc-mux', 'a', 'webrtc-datachannel', '"', '<', '>', ',', ';', '=', '\\', ' ', '!', '#', '>=', '1', '+', 'x"y', '\t');
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
      let params: Array<[string, string | null]>;
      try {
        params = parseGenericParams(`;${pieces.join('')}`);
      } catch {
        return;
      }
      const once = featureParamsOf(params);
      const text = formatFeatureParams(once);
      t.strictSame(featureParamsOf(parseGenericParams(text)), once);
      t.notMatch(text, /[\u0000-\u0008\u000a-\u001f]/, 'no control character');
    }),
    { numRuns: 400 },
  );
});
