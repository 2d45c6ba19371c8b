/**
 * The MIME header block of one body part (RFC 2045 §3, RFC 5322 §2.2 fields, folding allowed),
 * reduced to the four fields the guard decides by. Its own module because it is the other
 * place, besides delimiters, where a hostile part could be read two ways: bare CR/LF, controls,
 * duplicate fields and SIP-only headers (compact forms, Content-Length) are refused here so that
 * no receiver can find a different type, encoding or extent for the part than the guard did.
 */
import { fail } from './invalid-body.ts';
import { isWsp } from './mime-parameters.ts';

const CRLF = '\r\n';

export interface PartHeaders {
  contentType?: string;
  transferEncoding?: string;
  disposition?: string;
  contentEncoding?: string;
}

const INTERESTING: Readonly<Record<string, keyof PartHeaders>> = {
  'content-type': 'contentType',
  'content-transfer-encoding': 'transferEncoding',
  'content-disposition': 'disposition',
  'content-encoding': 'contentEncoding',
};

/** `text` ends with CRLF and holds no empty line. */
export function parsePartHeaders(text: string): PartHeaders {
  // One linear pass each instead of per-line checks: controls other than HT (CR and LF are
  // allowed only as CRLF line ends) are refused; a bare CR or LF is a line end to some receivers.
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) {
    fail('control character in body part headers');
  }
  if (/\r(?!\n)|(?<!\r)\n/.test(text)) {
    fail('bare CR or LF in body part headers');
  }
  // Lines are walked with indexOf and only names are sliced; a folded field's value is sliced
  // once over its whole extent (hostile parts may hold thousands of continuation lines).
  const fields: Array<[string, number, number]> = [];
  const end = text.length - 2;
  for (let pos = 0; pos <= end; ) {
    let eol = text.indexOf(CRLF, pos);
    if (eol === -1 || eol > end) {
      eol = end;
    }
    if (isWsp(text.charCodeAt(pos))) {
      const last = fields[fields.length - 1];
      if (last === undefined) {
        fail('body part headers start with a continuation line');
      }
      last[2] = eol;
    } else {
      const colon = text.indexOf(':', pos);
      let nameEnd = colon;
      while (nameEnd > pos && isWsp(text.charCodeAt(nameEnd - 1))) {
        nameEnd--;
      }
      if (colon === -1 || colon > eol || nameEnd === pos) {
        fail('malformed body part header line');
      }
      for (let k = pos; k < nameEnd; k++) {
        const c = text.charCodeAt(k);
        if (c < 0x21 || c > 0x7e) {
          fail('malformed body part header name');
        }
      }
      fields.push([text.slice(pos, nameEnd).toLowerCase(), colon + 1, eol]);
    }
    pos = eol + 2;
  }
  const out: PartHeaders = {};
  for (const [name, vs, ve] of fields) {
    if (name === 'content-length' || name === 'l' || name === 'c' || name === 'e') {
      // Not MIME part headers; a receiver reusing its SIP header parser (RFC 3261 7.3.3 compact
      // forms, Content-Length framing) would read the part differently than the guard.
      fail(`header ${name} refused in a body part`);
    }
    const key = INTERESTING[name];
    if (key !== undefined) {
      if (out[key] !== undefined) {
        fail(`duplicate ${name} in a body part`);
      }
      // RFC 5322 2.2.3 unfolding: the CRLF goes, the white space stays.
      out[key] = text.slice(vs, ve).replaceAll(CRLF, '');
    }
  }
  return out;
}
