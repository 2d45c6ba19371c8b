/**
 * Line-level views of a SIP message held as a byte string (latin1), for the mutations: its CRLF
 * lines, header lines, the end of its DC SDP, and its body and Content-Type. Forgiving on
 * purpose: a message that earlier mutations broke still gets a view.
 */

export const CRLF = '\r\n';

export function mod(n: number, m: number): number {
  return m <= 0 ? 0 : ((n % m) + m) % m;
}

/** The message as lines split on CRLF; index of the empty line ending the headers (or -1). */
export function lines(text: string): { all: string[]; blank: number } {
  const all = text.split(CRLF);
  return { all, blank: all.indexOf('') };
}

/** A header line index (1 .. blank-1), or -1 when there is none. */
export function headerLine(all: readonly string[], blank: number, n: number): number {
  const last = blank < 0 ? all.length : blank;
  return last <= 1 ? -1 : 1 + mod(n, last - 1);
}

/** Index after the last SDP line of a DC m-line (where more SDP can go), or the end of the body. */
export function sdpEnd(all: readonly string[], blank: number): number {
  for (let i = all.length - 1; i > blank; i -= 1) {
    if (/^a=(dcmap|3gpp-req-app|tls-id):/.test(all[i] ?? '')) {
      return i + 1;
    }
  }
  return all.length;
}

export function setContentType(all: string[], blank: number, type: string): void {
  const end = blank < 0 ? all.length : blank;
  for (let i = 1; i < end; i += 1) {
    if (/^(content-type|c)\s*:/i.test(all[i] ?? '')) {
      all[i] = `Content-Type: ${type}`;
      return;
    }
  }
  all.splice(end, 0, `Content-Type: ${type}`);
}

export function replaceBody(text: string, type: string, body: string): string {
  const { all, blank } = lines(text);
  if (blank < 0) {
    return text;
  }
  setContentType(all, blank, type);
  const head = all.slice(0, all.indexOf('')).join(CRLF);
  return `${head}${CRLF}${CRLF}${body}`;
}

export function bodyOf(text: string): { type: string; body: string } {
  const cut = text.indexOf(`${CRLF}${CRLF}`);
  const head = cut < 0 ? text : text.slice(0, cut);
  const type = /\r\n(?:content-type|c)\s*:\s*([^\r\n]*)/i.exec(head)?.[1] ?? 'application/sdp';
  return { type, body: cut < 0 ? '' : text.slice(cut + 4) };
}
