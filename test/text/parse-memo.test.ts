import t from 'tap';
import { memoized } from '../../src/text/parse-memo.ts';

class ParseFailure extends Error {}

function counting(parse: (text: string) => string): { readonly read: (text: string) => string; readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    read: (text) => {
      calls.push(text);
      return parse(text);
    },
  };
}

t.test('a text is parsed once; the same result comes back for an equal text', async (t) => {
  const parser = counting((text) => text.toUpperCase());
  const read = memoized(parser.read, { remembers: ParseFailure });
  t.equal(read('abc'), 'ABC');
  t.equal(read(['a', 'b', 'c'].join('')), 'ABC');
  t.same(parser.calls, ['abc']);
});

t.test('the error class it remembers is thrown again without a new parse; any other error is not remembered', async (t) => {
  const parser = counting((text) => {
    if (text === 'bad') {
      throw new ParseFailure('line 1: not readable');
    }
    throw new TypeError('a bug, not the text');
  });
  const read = memoized(parser.read, { remembers: ParseFailure });
  const thrown = (text: string): unknown => {
    try {
      read(text);
    } catch (error) {
      return error;
    }
    return null;
  };
  const first = thrown('bad');
  t.ok(first instanceof ParseFailure);
  t.equal(thrown('bad'), first, 'the remembered error itself');
  t.ok(thrown('other') instanceof TypeError);
  t.ok(thrown('other') instanceof TypeError);
  t.same(parser.calls, ['bad', 'other', 'other']);
});

t.test('bounded: a text over maxKey is parsed every time, and a full memo starts again empty', async (t) => {
  const parser = counting((text) => text);
  const read = memoized(parser.read, { remembers: ParseFailure, maxKey: 4, maxEntries: 2 });
  read('12345');
  read('12345');
  t.equal(parser.calls.length, 2, 'over maxKey: not remembered');
  read('a');
  read('b');
  read('c'); // the memo was full: it starts again with 'c' alone
  read('c');
  read('a');
  t.same(parser.calls.slice(2), ['a', 'b', 'c', 'a']);
});

t.test('without an error class to remember, every error is thrown afresh', async (t) => {
  let calls = 0;
  const read = memoized((text: string) => {
    calls += 1;
    if (text === 'bad') {
      throw new ParseFailure('no');
    }
    return text.length;
  });
  t.throws(() => read('bad'));
  t.throws(() => read('bad'));
  t.equal(read('good'), 4);
  t.equal(read('good'), 4);
  t.equal(calls, 3, 'two failed parses, one remembered result');
});
