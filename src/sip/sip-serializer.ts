/** Writes a SipMessage in wire form (RFC 3261 section 7). */
import { Buffer } from 'node:buffer';
import { isToken } from './sip-grammar.ts';
import { canonicalHeaderName } from './sip-header-names.ts';
import type { SipMessage } from './sip-message.ts';

/**
 * Serializes a message: start line, one `Name: value` line per header, CRLF line ends, the
 * empty line and the body unchanged. Content-Length is always set to the body's byte length
 * (RFC 3261 20.14; mandatory over stream transports, 18.3): the first existing
 * Content-Length line is replaced in place and any others dropped, or one is appended last.
 *
 * Throws TypeError for a header name that is not a token, or a start line or header value
 * holding CR, LF or NUL: written out, those would let the value inject headers or a body (a
 * programming error, since parsed messages cannot contain them).
 */
export function serializeSipMessage(msg: SipMessage): string {
  return `${serializeHead(msg)}${msg.body}`;
}

/**
 * The message as it goes on the wire: start line and headers as UTF-8, the body as the bytes it
 * holds (a byte string, one char per byte, as the parser made it), so a binary body leaves
 * exactly as it came. A body holding a char above 0xFF was written as text by the guard's own
 * code and is sent as UTF-8; Content-Length counts what is sent either way.
 */
export function encodeSipMessage(msg: SipMessage): Buffer {
  const body = bodyBytes(msg.body);
  return Buffer.concat([Buffer.from(serializeHead(msg, body.length), 'utf8'), body]);
}

function bodyBytes(body: string): Buffer {
  for (let i = 0; i < body.length; i += 1) {
    if (body.charCodeAt(i) > 0xff) {
      return Buffer.from(body, 'utf8');
    }
  }
  return Buffer.from(body, 'latin1');
}

function serializeHead(msg: SipMessage, bodyLength = bodyBytes(msg.body).length): string {
  const startLine = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  if (/[\r\n\0]/.test(startLine)) {
    throw new TypeError('SIP start line contains CR, LF or NUL');
  }
  const contentLength = `Content-Length: ${bodyLength}\r\n`;
  let out = `${startLine}\r\n`;
  let lengthWritten = false;
  for (const h of msg.headers) {
    if (canonicalHeaderName(h.name) === 'Content-Length') {
      if (!lengthWritten) {
        out += contentLength;
        lengthWritten = true;
      }
      continue;
    }
    if (!isToken(h.name)) {
      throw new TypeError(`invalid SIP header name ${JSON.stringify(h.name)}`);
    }
    if (/[\r\n\0]/.test(h.value)) {
      throw new TypeError(`SIP header ${h.name} value contains CR, LF or NUL`);
    }
    out += `${h.name}: ${h.value}\r\n`;
  }
  if (!lengthWritten) {
    out += contentLength;
  }
  return `${out}\r\n`;
}
