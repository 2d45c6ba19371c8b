/**
 * What the fuzzer does to a valid message, as plain data (so fast-check can generate, print
 * and replay it), and one pure function that applies it to the message's bytes (a latin1
 * string: one char per byte, as the parser reads them). Positions are reduced modulo the
 * length of what they index, so any number is a valid position.
 */
import { CRLF, bodyOf, headerLine, lines, mod, replaceBody, sdpEnd } from './message-text.ts';

export type RepeatTarget =
  | 'params'
  | 'via-lines'
  | 'via-list'
  | 'long-value'
  | 'headers'
  | 'routes'
  | 'm-lines'
  | 'dcmap'
  | 'multipart-parts'
  | 'multipart-depth';

export type NameStyle = 'upper' | 'lower' | 'alternate' | 'compact' | 'expand' | 'space-before-colon';

export type LengthLie = 'zero' | 'minus-one' | 'plus-one' | 'huge' | 'negative' | 'junk' | 'twice' | 'remove' | 'eleven-digits' | 'leading-zeros';

export type MixPart = 'start-line' | 'headers' | 'body' | 'method' | 'cseq-method' | 'status';

export type LineEndings = 'lf' | 'cr' | 'mixed' | 'header-lf' | 'cr-cr-lf';

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly mask: number }
  | { readonly op: 'set-byte'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: string }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'cut'; readonly at: number; readonly length: number }
  | { readonly op: 'dup-line'; readonly line: number; readonly times: number }
  | { readonly op: 'drop-line'; readonly line: number }
  | { readonly op: 'swap-lines'; readonly a: number; readonly b: number }
  | { readonly op: 'repeat'; readonly what: RepeatTarget; readonly line: number; readonly count: number }
  | { readonly op: 'name'; readonly line: number; readonly style: NameStyle }
  | { readonly op: 'fold'; readonly line: number; readonly at: number; readonly ws: string }
  | { readonly op: 'content-length'; readonly lie: LengthLie }
  | { readonly op: 'sdp-line'; readonly line: number; readonly text: string }
  | { readonly op: 'mix'; readonly donor: number; readonly part: MixPart; readonly pick: number }
  | { readonly op: 'value'; readonly line: number; readonly value: string }
  | { readonly op: 'add-header'; readonly header: string }
  | { readonly op: 'line-endings'; readonly how: LineEndings }
  | { readonly op: 'non-ascii'; readonly line: number; readonly at: number; readonly bytes: string };

/** Compact forms of RFC 3261 7.3.3 and later RFCs, both ways. */
const COMPACT: Readonly<Record<string, string>> = {
  via: 'v',
  from: 'f',
  to: 't',
  'call-id': 'i',
  'content-type': 'c',
  'content-length': 'l',
  contact: 'm',
  supported: 'k',
  subject: 's',
  'content-encoding': 'e',
  event: 'o',
  'refer-to': 'r',
  'allow-events': 'u',
  'referred-by': 'b',
  'accept-contact': 'a',
};
const EXPAND: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(COMPACT).map(([long, short]) => [short, long]));

export const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'UPDATE', 'PRACK', 'OPTIONS', 'INFO', 'REFER', 'MESSAGE', 'NOTIFY', 'SUBSCRIBE', 'REGISTER', 'invite', 'X-FOO'];

function repeat(text: string, what: RepeatTarget, line: number, count: number): string {
  const { all, blank } = lines(text);
  const range = (f: (i: number) => string): string[] => Array.from({ length: count }, (_, i) => f(i));
  switch (what) {
    case 'params': {
      const at = headerLine(all, blank, line);
      if (at >= 0) {
        all[at] += range((i) => `;p${i}=v${i}`).join('');
      }
      return all.join(CRLF);
    }
    case 'via-lines':
      all.splice(1, 0, ...range((i) => `Via: SIP/2.0/UDP 10.${(i >> 8) & 255}.${i & 255}.1:5060;branch=z9hG4bK-rep${i}`));
      return all.join(CRLF);
    case 'via-list': {
      const at = all.findIndex((l) => /^(via|v)\s*:/i.test(l));
      if (at >= 0) {
        all[at] += range((i) => `, SIP/2.0/TCP 10.1.${i & 255}.2:5060;branch=z9hG4bK-l${i}`).join('');
      }
      return all.join(CRLF);
    }
    case 'long-value': {
      const at = headerLine(all, blank, line);
      if (at >= 0) {
        all[at] += 'x'.repeat(count * 16);
      }
      return all.join(CRLF);
    }
    case 'headers':
      all.splice(Math.max(1, blank), 0, ...range((i) => `X-Fuzz-${i}: value-${i}`));
      return all.join(CRLF);
    case 'routes':
      all.splice(1, 0, ...range((i) => `Route: <sip:10.2.${i & 255}.1;lr>`));
      return all.join(CRLF);
    case 'm-lines':
      all.splice(sdpEnd(all, blank), 0, ...range((i) => [`m=application ${9000 + i} UDP/DTLS/SCTP webrtc-datachannel`, 'a=sctp-port:5000', `a=dcmap:${1000 + i} subprotocol="x-app"`, 'a=3gpp-req-app:com.example.weather'].join(CRLF)));
      return all.join(CRLF);
    case 'dcmap':
      all.splice(sdpEnd(all, blank), 0, ...range((i) => `a=dcmap:${2000 + i} label="c${i}";subprotocol="x-app"${CRLF}a=3gpp-req-app:com.example.weather`));
      return all.join(CRLF);
    case 'multipart-parts': {
      const { type, body } = bodyOf(text);
      const parts = range((i) => `--fzp${CRLF}Content-Type: ${i === 0 ? type : 'text/plain'}${CRLF}${CRLF}${i === 0 ? body : `part ${i}`}${CRLF}`);
      return replaceBody(text, 'multipart/mixed;boundary=fzp', `${parts.join('')}--fzp--${CRLF}`);
    }
    case 'multipart-depth': {
      let { type, body } = bodyOf(text);
      for (let i = 0; i < count; i += 1) {
        body = `--fzd${i}${CRLF}Content-Type: ${type}${CRLF}${CRLF}${body}${CRLF}--fzd${i}--${CRLF}`;
        type = `multipart/mixed;boundary=fzd${i}`;
      }
      return replaceBody(text, type, body);
    }
  }
}

function rename(line: string, style: NameStyle): string {
  const colon = line.indexOf(':');
  if (colon <= 0) {
    return line;
  }
  const name = line.slice(0, colon);
  const rest = line.slice(colon);
  switch (style) {
    case 'upper':
      return name.toUpperCase() + rest;
    case 'lower':
      return name.toLowerCase() + rest;
    case 'alternate':
      return [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('') + rest;
    case 'compact':
      return (COMPACT[name.trim().toLowerCase()] ?? name) + rest;
    case 'expand':
      return (EXPAND[name.trim().toLowerCase()] ?? name) + rest;
    case 'space-before-colon':
      return `${name} \t${rest}`;
  }
}

function fold(line: string, at: number, ws: string): string {
  const spots: number[] = [];
  for (let i = line.indexOf(':') + 1; i > 0 && i < line.length; i += 1) {
    if (' ;,<>='.includes(line[i] ?? '')) {
      spots.push(i);
    }
  }
  if (spots.length === 0) {
    return `${line}${CRLF}${ws}`;
  }
  const i = spots[mod(at, spots.length)] ?? 0;
  return `${line.slice(0, i)}${CRLF}${ws}${line.slice(i)}`;
}

/** `bytes` put next to a delimiter of the header line (where a reader might skip white space). */
function beside(line: string, at: number, bytes: string): string {
  const spots: number[] = [];
  for (let i = 0; i < line.length; i += 1) {
    if (' ;,<>=:"'.includes(line[i] ?? '')) {
      spots.push(i + 1);
    }
  }
  const i = spots.length === 0 ? line.length : (spots[mod(at, spots.length)] ?? 0);
  return line.slice(0, i) + bytes + line.slice(i);
}

function lieAboutLength(text: string, lie: LengthLie): string {
  const { all, blank } = lines(text);
  const end = blank < 0 ? all.length : blank;
  let at = -1;
  for (let i = 1; i < end; i += 1) {
    if (/^(content-length|l)\s*:/i.test(all[i] ?? '')) {
      at = i;
      break;
    }
  }
  const actual = bodyOf(text).body.length;
  const value: Record<Exclude<LengthLie, 'twice' | 'remove'>, string> = {
    zero: '0',
    'minus-one': String(Math.max(0, actual - 1)),
    'plus-one': String(actual + 1),
    huge: '4294967295',
    negative: '-1',
    junk: '12a',
    'eleven-digits': '00000000001',
    'leading-zeros': `000${actual}`,
  };
  if (lie === 'remove') {
    if (at >= 0) {
      all.splice(at, 1);
    }
  } else if (lie === 'twice') {
    all.splice(end, 0, `Content-Length: ${actual + 7}`);
  } else if (at >= 0) {
    all[at] = `Content-Length: ${value[lie]}`;
  } else {
    all.splice(end, 0, `Content-Length: ${value[lie]}`);
  }
  return all.join(CRLF);
}

function mix(text: string, donor: string, part: MixPart, pick: number): string {
  const { all, blank } = lines(text);
  const other = lines(donor);
  switch (part) {
    case 'start-line':
      all[0] = other.all[0] ?? '';
      return all.join(CRLF);
    case 'headers': {
      const donorHeaders = other.all.slice(1, other.blank < 0 ? other.all.length : other.blank);
      const from = mod(pick, Math.max(1, donorHeaders.length));
      all.splice(Math.max(1, blank), 0, ...donorHeaders.slice(from, from + 1 + mod(pick >> 4, 4)));
      return all.join(CRLF);
    }
    case 'body': {
      const { type, body } = bodyOf(donor);
      return replaceBody(text, type, body);
    }
    case 'method': {
      const method = METHODS[mod(pick, METHODS.length)] ?? 'INVITE';
      all[0] = (all[0] ?? '').startsWith('SIP/') ? `${method} sip:127.0.0.10:5060 SIP/2.0` : (all[0] ?? '').replace(/^\S*/, method);
      return all.join(CRLF);
    }
    case 'cseq-method': {
      const method = METHODS[mod(pick, METHODS.length)] ?? 'INVITE';
      return all.map((l) => (/^cseq\s*:/i.test(l) ? l.replace(/\S+\s*$/, method) : l)).join(CRLF);
    }
    case 'status': {
      const status = [100, 101, 180, 181, 182, 183, 199, 200, 202, 299, 300, 302, 400, 401, 403, 407, 408, 481, 487, 488, 491, 500, 503, 600, 603, 699][mod(pick, 26)] ?? 200;
      all[0] = `SIP/2.0 ${status} Fuzzed`;
      return all.join(CRLF);
    }
  }
}

function changeLineEndings(text: string, how: LineEndings): string {
  switch (how) {
    case 'lf':
      return text.replaceAll(CRLF, '\n');
    case 'cr':
      return text.replaceAll(CRLF, '\r');
    case 'cr-cr-lf':
      return text.replaceAll(CRLF, '\r\r\n');
    case 'mixed': {
      let i = 0;
      return text.replaceAll(CRLF, () => (i++ % 2 === 0 ? '\n' : CRLF));
    }
    case 'header-lf': {
      const cut = text.indexOf(`${CRLF}${CRLF}`);
      return cut < 0 ? text.replaceAll(CRLF, '\n') : `${text.slice(0, cut).replaceAll(CRLF, '\n')}\n\n${text.slice(cut + 4)}`;
    }
  }
}

/** Applies one mutation; `donors` are other valid messages of the same dialog to mix in. */
export function applyMutation(text: string, m: Mutation, donors: readonly string[]): string {
  switch (m.op) {
    case 'flip': {
      if (text.length === 0) {
        return text;
      }
      const at = mod(m.at, text.length);
      return text.slice(0, at) + String.fromCharCode((text.charCodeAt(at) ^ m.mask) & 0xff) + text.slice(at + 1);
    }
    case 'set-byte': {
      const at = mod(m.at, text.length + 1);
      return text.slice(0, at) + String.fromCharCode(m.byte & 0xff) + text.slice(at + 1);
    }
    case 'insert': {
      const at = mod(m.at, text.length + 1);
      return text.slice(0, at) + m.bytes + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, mod(m.at, text.length + 1));
    case 'cut': {
      const at = mod(m.at, text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'dup-line': {
      const { all } = lines(text);
      const i = mod(m.line, all.length);
      all.splice(i, 0, ...Array.from({ length: m.times }, () => all[i] ?? ''));
      return all.join(CRLF);
    }
    case 'drop-line': {
      const { all } = lines(text);
      all.splice(mod(m.line, all.length), 1);
      return all.join(CRLF);
    }
    case 'swap-lines': {
      const { all } = lines(text);
      const a = mod(m.a, all.length);
      const b = mod(m.b, all.length);
      [all[a], all[b]] = [all[b] ?? '', all[a] ?? ''];
      return all.join(CRLF);
    }
    case 'repeat':
      return repeat(text, m.what, m.line, m.count);
    case 'name': {
      const { all, blank } = lines(text);
      const at = headerLine(all, blank, m.line);
      if (at >= 0) {
        all[at] = rename(all[at] ?? '', m.style);
      }
      return all.join(CRLF);
    }
    case 'fold': {
      const { all, blank } = lines(text);
      const at = headerLine(all, blank, m.line);
      if (at >= 0) {
        all[at] = fold(all[at] ?? '', m.at, m.ws);
      }
      return all.join(CRLF);
    }
    case 'content-length':
      return lieAboutLength(text, m.lie);
    case 'sdp-line': {
      const { all, blank } = lines(text);
      const first = blank < 0 ? all.length : blank + 1;
      all.splice(first + mod(m.line, all.length - first + 1), 0, m.text);
      return all.join(CRLF);
    }
    case 'mix':
      return donors.length === 0 ? text : mix(text, donors[mod(m.donor, donors.length)] ?? '', m.part, m.pick);
    case 'value': {
      const { all, blank } = lines(text);
      const at = headerLine(all, blank, m.line);
      const colon = at < 0 ? -1 : (all[at] ?? '').indexOf(':');
      if (colon > 0) {
        all[at] = `${(all[at] ?? '').slice(0, colon + 1)} ${m.value}`;
      }
      return all.join(CRLF);
    }
    case 'add-header': {
      const { all, blank } = lines(text);
      all.splice(Math.max(1, blank < 0 ? all.length : blank), 0, m.header);
      return all.join(CRLF);
    }
    case 'line-endings':
      return changeLineEndings(text, m.how);
    case 'non-ascii': {
      const { all, blank } = lines(text);
      const at = headerLine(all, blank, m.line);
      if (at >= 0) {
        all[at] = beside(all[at] ?? '', m.at, m.bytes);
      }
      return all.join(CRLF);
    }
  }
}

/** Sets Content-Length to the body's real byte count, so mutations behind it get past framing. */
export function fixContentLength(text: string): string {
  const cut = text.indexOf(`${CRLF}${CRLF}`);
  if (cut < 0) {
    return text;
  }
  const length = text.length - cut - 4;
  return `${text.slice(0, cut).replace(/\r\n(content-length|l)([ \t]*):[^\r\n]*/i, `\r\n$1$2: ${length}`)}${text.slice(cut)}`;
}

export interface MutatedInput {
  readonly mutations: readonly Mutation[];
  /** Content-Length rewritten to the truth after mutating. */
  readonly fixLength: boolean;
}

export function mutate(seed: string, input: MutatedInput, donors: readonly string[]): string {
  let text = seed;
  for (const m of input.mutations) {
    text = applyMutation(text, m, donors);
  }
  return input.fixLength ? fixContentLength(text) : text;
}
