import t from 'tap';
import { parseDcmapParams } from '../../src/sdp/dcmap-params.ts';

t.test('full RFC 8864 parameter set', async (t) => {
  t.same(parseDcmapParams('label="weather";subprotocol="http";max-retr=3;ordered=true;priority=256'), {
    label: 'weather',
    subprotocol: 'http',
    params: [
      ['label', '"weather"'],
      ['subprotocol', '"http"'],
      ['max-retr', '3'],
      ['ordered', 'true'],
      ['priority', '256'],
    ],
  });
});

t.test('a ; inside quotes does not split', async (t) => {
  const parsed = parseDcmapParams('label="a;b";subprotocol="x;y"');
  t.equal(parsed.label, 'a;b');
  t.equal(parsed.subprotocol, 'x;y');
  t.same(parsed.params, [
    ['label', '"a;b"'],
    ['subprotocol', '"x;y"'],
  ]);
});

t.test('spaces around ; and =', async (t) => {
  t.same(parseDcmapParams('  label = "chat" ;  subprotocol= "x-chat" ;ordered =true '), {
    label: 'chat',
    subprotocol: 'x-chat',
    params: [
      ['label', '"chat"'],
      ['subprotocol', '"x-chat"'],
      ['ordered', 'true'],
    ],
  });
});

t.test('unquoted values', async (t) => {
  const parsed = parseDcmapParams('label=weather;subprotocol=http');
  t.equal(parsed.label, 'weather');
  t.equal(parsed.subprotocol, 'http');
});

t.test('missing params: empty text, no label, no subprotocol', async (t) => {
  t.same(parseDcmapParams(''), { label: null, subprotocol: null, params: [] });
  t.same(parseDcmapParams('max-retr=3'), { label: null, subprotocol: null, params: [['max-retr', '3']] });
});

t.test('a parameter without a value, empty parts, unterminated quote', async (t) => {
  t.same(parseDcmapParams('ordered;;label="x'), {
    label: 'x',
    subprotocol: null,
    params: [
      ['ordered', null],
      ['label', '"x'],
    ],
  });
  t.same(parseDcmapParams('label="a;b;subprotocol="http"').params.length, 1, 'the quote swallows the rest');
});

t.test('names are matched case-insensitively; the first occurrence wins', async (t) => {
  const parsed = parseDcmapParams('Label="one";SUBPROTOCOL="http";label="two"');
  t.equal(parsed.label, 'one');
  t.equal(parsed.subprotocol, 'http');
});
