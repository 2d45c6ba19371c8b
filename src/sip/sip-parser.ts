/**
 * Parses one SIP message (RFC 3261 section 7) into the shared model. Strict: anything the guard
 * could misread, or that a downstream element could read differently, is refused with
 * SipParseError, the only exception this module throws. Work is linear in the input and
 * bounded by MAX_HEADER_SECTION and the MessageLimits, which it enforces before anything above
 * it looks at the message, so hostile input cannot stall the proxy.
 */
import { Buffer } from 'node:buffer';
import { parseCSeq } from './cseq.ts';
import { splitHeaderValues } from './header-values.ts';
import { DEFAULT_MESSAGE_LIMITS, HeaderLineBudget, SdpBudget, type MessageLimits } from './message-limits.ts';
import { parseNameAddr } from './name-addr.ts';
import { isToken, isUriShape } from './sip-grammar.ts';
import { canonicalHeaderName } from './sip-header-names.ts';
import type { SipHeader, SipMessage } from './sip-message.ts';
import { SipParseError, excerpt } from './sip-parse-error.ts';
import { classifyMessageBody } from './sdp-body.ts';
import { parseUri } from './sip-uri.ts';
import { parseVia } from './via.ts';

/** Characters from the start of the start line to the empty line; IMS INVITEs are 2 to 6 KB. */
const MAX_HEADER_SECTION = 65_536;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;

/**
 * Control characters other than HTAB. A bare CR or a NUL in a header could be read as a line
 * end by another SIP stack, which would then see headers the guard never checked.
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Headers every request and response must carry (RFC 3261 8.1.1, 8.2.6.2). */
const MANDATORY = ['To', 'From', 'Call-ID', 'CSeq', 'Via'] as const;
/** Headers that may appear only once (RFC 3261 7.3.1: not defined as comma lists). */
// Content-Type and Content-Disposition are single-valued too: with two, one receiver reads the
// first and another the last, so a body could be policed as one type and read as another.
const SINGLE = new Set(['To', 'From', 'Call-ID', 'CSeq', 'Content-Length', 'Content-Type', 'Content-Disposition']);

type StartLine =
  | { kind: 'request'; method: string; uri: string }
  | { kind: 'response'; status: number; reason: string };

function isSipVersion(s: string): boolean {
  // SIP-Version is case-insensitive on receipt (RFC 3261 7.1)
  return s.length === 7 && s.toUpperCase() === 'SIP/2.0';
}

/** Longest version accepted as "another SIP version" for a 505; anything longer is just a bad line. */
const MAX_VERSION = 16;

/** True for any SIP-Version: "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 7.1, 25.1), "SIP" case-insensitive. */
function isSipVersionShape(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > MAX_VERSION || s.slice(0, 4).toUpperCase() !== 'SIP/') {
    return false;
  }
  const dot = s.indexOf('.', 4);
  if (dot <= 4 || dot === n - 1) {
    return false;
  }
  for (let i = 4; i < n; i++) {
    const c = s.charCodeAt(i);
    if (i !== dot && (c < 0x30 || c > 0x39)) {
      return false;
    }
  }
  return true;
}

function parseStartLine(line: string): StartLine {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 7.2)
  if (line.length >= 8 && isSipVersion(line.slice(0, 7)) && line.charCodeAt(7) === SP) {
    const d0 = line.charCodeAt(8) - 0x30;
    const d1 = line.charCodeAt(9) - 0x30;
    const d2 = line.charCodeAt(10) - 0x30;
    // Status-Code is 3DIGIT with the class digit 1..6 (RFC 3261 7.2, 21)
    const digits = d0 >= 1 && d0 <= 6 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9;
    // Reason-Phrase may be empty; the SP before it is tolerated when missing.
    if (!digits || (line.length > 11 && line.charCodeAt(11) !== SP)) {
      throw new SipParseError(`bad status line ${excerpt(line)}`);
    }
    return { kind: 'response', status: d0 * 100 + d1 * 10 + d2, reason: line.slice(12) };
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 7.1); exactly two SPs.
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) {
    throw new SipParseError(`bad request line ${excerpt(line)}`);
  }
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (isToken(method) && !isSipVersion(version) && isSipVersionShape(version)) {
    // RFC 3261 8.2 / 21.5.6: a request of another SIP version is answered 505, not 400. Checked
    // before the Request-URI, whose rules are that version's (RFC 4475 3.1.2.16 "badvers").
    throw new SipParseError(`Version Not Supported: ${excerpt(version)}`, 505);
  }
  if (!isToken(method) || !isSipVersion(version)) {
    throw new SipParseError(`bad request line ${excerpt(line)}`);
  }
  checkRequestUri(uri);
  return { kind: 'request', method, uri };
}

/** sip/sips/tel must parse; other schemes (urn:service:sos, RFC 5031) need the absoluteURI shape. */
function checkRequestUri(uri: string): void {
  if (!isUriShape(uri)) {
    throw new SipParseError(`bad Request-URI ${excerpt(uri)}`);
  }
  const colon = uri.indexOf(':');
  if (colon === 3 || colon === 4) {
    const scheme = uri.slice(0, colon).toLowerCase();
    if ((scheme === 'sip' || scheme === 'sips' || scheme === 'tel') && parseUri(uri) === null) {
      throw new SipParseError(`bad Request-URI ${excerpt(uri)}`);
    }
  }
}

/** Re-labels a SipParseError from a value parser with the header it came from. */
function inHeader(name: string, err: unknown): unknown {
  return err instanceof SipParseError ? new SipParseError(`bad ${name} header: ${err.message}`) : err;
}

/** Checks the headers every message needs and parses the ones the guard relies on. */
function checkHeaders(msg: SipMessage): void {
  const headers = msg.headers;
  const first = new Map<string, string>();
  for (const h of headers) {
    if (first.has(h.name)) {
      if (SINGLE.has(h.name)) {
        throw new SipParseError(`duplicate ${h.name} header`);
      }
    } else {
      first.set(h.name, h.value);
    }
  }
  for (const name of MANDATORY) {
    if (!first.has(name)) {
      throw new SipParseError(`missing ${name} header`);
    }
  }
  const callId = first.get('Call-ID') ?? '';
  // callid = word [ "@" word ] (RFC 3261 25.1): no whitespace, not empty
  if (callId === '' || /[ \t]/.test(callId)) {
    throw new SipParseError(`bad Call-ID header ${excerpt(callId)}`);
  }
  for (const name of ['From', 'To']) {
    try {
      parseNameAddr(first.get(name) ?? '');
    } catch (err) {
      throw inHeader(name, err);
    }
  }
  try {
    // The top Via is the one responses are routed by (RFC 3261 18.2.2).
    parseVia(splitHeaderValues(first.get('Via') ?? '')[0] ?? '');
  } catch (err) {
    throw inHeader('Via', err);
  }
  let cseqMethod: string;
  try {
    cseqMethod = parseCSeq(first.get('CSeq') ?? '').method;
  } catch (err) {
    throw inHeader('CSeq', err);
  }
  // The CSeq method matches the request method (RFC 3261 8.1.1.5), ACK and CANCEL included
  // (RFC 3261 17.1.1.3, 9.1).
  if (msg.kind === 'request' && cseqMethod !== msg.method) {
    throw new SipParseError(`CSeq method ${cseqMethod} does not match request method ${msg.method}`);
  }
}

/**
 * The body after the empty line, cut to Content-Length bytes. A longer body is truncated
 * (RFC 3261 18.3: extra datagram bytes are discarded); a shorter one is an error.
 */
function applyContentLength(body: string, contentLength: string | undefined): string {
  if (contentLength === undefined) {
    return body;
  }
  // Content-Length = 1*DIGIT (RFC 3261 20.14); ten digits is already far above any message.
  if (!/^[0-9]{1,10}$/.test(contentLength)) {
    throw new SipParseError(`bad Content-Length header ${excerpt(contentLength)}`);
  }
  const declared = Number(contentLength);
  // The body is a byte string (one char per byte): its length is its byte count.
  const actual = body.length;
  if (actual < declared) {
    throw new SipParseError(`body shorter than Content-Length (${actual} < ${declared})`);
  }
  if (actual === declared) {
    return body;
  }
  if (declared === 0) {
    return '';
  }
  return body.slice(0, declared);
}

/**
 * Parses one SIP request or response. A Buffer is read as UTF-8. Line ends may be CRLF or
 * bare LF; the body is kept exactly as received (cut to Content-Length when present).
 * Throws SipParseError with a reason naming what is wrong: status 400, or 505 for a request
 * of another SIP version (its headers are then not checked: they may follow that version's rules).
 */
export function parseSipMessage(input: string | Buffer, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): SipMessage {
  let bytes: Buffer;
  if (typeof input === 'string') {
    bytes = Buffer.from(input, 'utf8');
  } else if (Buffer.isBuffer(input)) {
    bytes = input;
  } else {
    throw new SipParseError('input is neither a string nor a Buffer');
  }
  if (bytes.length > limits.maxMessageBytes) {
    throw new SipParseError(`Message Too Large: more than ${limits.maxMessageBytes} bytes`, 513);
  }
  // Scanned as latin1 (one char per byte), so the body comes out as the exact bytes that came in
  // (an application/isup part is binary); the start line and header values are then read as UTF-8.
  const parsed = parseText(bytes.toString('latin1'), limits);
  // Checked on the values as stored (UTF-8), so what the guard checks is what it later reads.
  const message = hasHighBytes(parsed) ? utf8Headers(parsed) : parsed;
  checkHeaders(message);
  checkBody(message, limits);
  return message;
}

/** Multipart size and the size of all its SDP together; the classification stays with the message. */
function checkBody(message: SipMessage, limits: MessageLimits): void {
  if (message.body.length === 0) {
    return;
  }
  const body = classifyMessageBody(message, { maxDepth: limits.maxMultipartDepth, maxParts: limits.maxBodyParts });
  if (body.kind === 'invalid' && body.overLimit === true) {
    throw new SipParseError(`Request Entity Too Large: ${body.detail}`, 413);
  }
  if (body.kind === 'parts') {
    const sdp = new SdpBudget(limits);
    for (const part of body.parts) {
      if (part.isSdp) {
        sdp.add(part.content);
      }
    }
  }
}

function hasHighBytes(msg: SipMessage): boolean {
  const high = (text: string): boolean => {
    for (let i = 0; i < text.length; i += 1) {
      if (text.charCodeAt(i) > 0x7f) {
        return true;
      }
    }
    return false;
  };
  return (msg.kind === 'request' ? high(msg.uri) : high(msg.reason)) || msg.headers.some((h) => high(h.value));
}

/**
 * White space to JavaScript's trim() and \s but not to SIP (whose LWS is SP and HTAB): the
 * guard's value parsers would skip it where another SIP stack reads it as part of a name or
 * value (`;\u00a0tag=x` is no tag parameter to a strict peer), so it is refused.
 */
const NON_SIP_WHITE_SPACE = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/** `text` (latin1, one char per byte) read as UTF-8; refused when the bytes are not UTF-8 or hold non-SIP white space. */
function fromLatin1(text: string, what: string): string {
  const decoded = Buffer.from(text, 'latin1').toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD: the guard would read and forward other bytes than came in.
  if (Buffer.from(decoded, 'utf8').toString('latin1') !== text) {
    throw new SipParseError(`${what} is not valid UTF-8`);
  }
  if (NON_SIP_WHITE_SPACE.test(decoded)) {
    throw new SipParseError(`${what} holds white space SIP does not know (only SP and HTAB separate)`);
  }
  return decoded;
}

function utf8Headers(msg: SipMessage): SipMessage {
  const headers = msg.headers.map((h) => ({ name: h.name, value: fromLatin1(h.value, `the ${h.name} header`) }));
  return msg.kind === 'request'
    ? { ...msg, uri: fromLatin1(msg.uri, 'the Request-URI'), headers }
    : { ...msg, reason: fromLatin1(msg.reason, 'the reason phrase'), headers };
}

function parseText(text: string, limits: MessageLimits): SipMessage {
  const n = text.length;

  // CRLFs before the start line are ignored (RFC 3261 7.5); they are also keep-alives (RFC 5626 3.5.1).
  let pos = 0;
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c === LF) {
      pos++;
    } else if (c === CR && text.charCodeAt(pos + 1) === LF) {
      pos += 2;
    } else {
      break;
    }
  }
  if (pos >= n) {
    throw new SipParseError('empty message');
  }
  const limit = pos + MAX_HEADER_SECTION;

  let start: StartLine | null = null;
  const headers: SipHeader[] = [];
  const budget = new HeaderLineBudget(limits);
  let name = '';
  let value = '';
  let lineNo = 0;
  let bodyStart = -1;
  while (bodyStart < 0) {
    const eol = text.indexOf('\n', pos);
    if (eol < 0) {
      if (n > limit) {
        throw new SipParseError(`header section longer than ${MAX_HEADER_SECTION} characters`);
      }
      throw new SipParseError('no empty line after the headers');
    }
    if (eol > limit) {
      throw new SipParseError(`header section longer than ${MAX_HEADER_SECTION} characters`);
    }
    const end = eol > pos && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    const lineStart = pos;
    pos = eol + 1;
    lineNo++;
    if (end === lineStart) {
      if (start === null) {
        // unreachable: leading empty lines were skipped above
        throw new SipParseError('empty start line');
      }
      bodyStart = pos;
      break;
    }
    const line = text.slice(lineStart, end);
    if (CONTROL.test(line)) {
      throw new SipParseError(`control character in line ${lineNo}`);
    }
    if (start === null) {
      start = parseStartLine(line);
      continue;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === SP || c0 === HTAB) {
      // Continuation line: unfold, replacing the line break and leading LWS with one SP (RFC 3261 7.3.1).
      if (name === '') {
        throw new SipParseError(`continuation line ${lineNo} without a header to continue`);
      }
      const more = line.trim();
      if (more !== '') {
        value = value === '' ? more : `${value} ${more}`;
      }
      continue;
    }
    if (name !== '') {
      budget.check(name, value);
      headers.push({ name, value });
    }
    if (headers.length >= limits.maxHeaders) {
      throw new SipParseError(`more than ${limits.maxHeaders} header lines`);
    }
    // header = field-name HCOLON field-value, HCOLON = *( SP / HTAB ) ":" SWS (RFC 3261 7.3.1)
    const colon = line.indexOf(':');
    if (colon < 0) {
      throw new SipParseError(`header line ${lineNo} has no colon: ${excerpt(line)}`);
    }
    const rawName = line.slice(0, colon).trimEnd();
    if (!isToken(rawName)) {
      throw new SipParseError(`bad header name ${excerpt(rawName)} in line ${lineNo}`);
    }
    name = canonicalHeaderName(rawName);
    value = line.slice(colon + 1).trim();
  }
  if (name !== '') {
    budget.check(name, value);
    headers.push({ name, value });
  }
  if (start === null) {
    throw new SipParseError('empty message');
  }

  let contentLength: string | undefined;
  for (const h of headers) {
    if (h.name === 'Content-Length') {
      contentLength = h.value;
      break;
    }
  }
  const body = applyContentLength(text.slice(bodyStart), contentLength);
  if (start.kind === 'request') {
    return { kind: 'request', method: start.method, uri: start.uri, headers, body };
  }
  return { kind: 'response', status: start.status, reason: start.reason, headers, body };
}
