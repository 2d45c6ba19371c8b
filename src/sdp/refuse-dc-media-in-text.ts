/**
 * Fail-closed fallback for an SDP that `readSdp` could not read: drop the lines that are not
 * SDP lines at all, then set the port of every line that looks like a DC m-line to 0, touching
 * nothing else. The structure could not be trusted, so this works on the text alone; the
 * m-line count and order (of the lines a strict reader sees) stay as they were.
 */

export function refuseDcMediaInText(raw: string): string {
  return refuseDcMLines(keepSdpLines(raw));
}

/**
 * Drops every line that is not of the strict `<type>=<value>` form (RFC 4566 5: one lower-case
 * letter, no blank before `=`): a line the guard cannot read (` m=application ...`,
 * `M=application ...`) may still be read by a lenient peer, so it must not pass unseen.
 * Line endings of the kept lines stay as they were.
 */
export function keepSdpLines(raw: string): string {
  const parts = raw.split(/(\r\n|\r|\n)/);
  let out = '';
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const line = parts[i] ?? '';
    const eol = parts[i + 1] ?? '';
    if (isSdpLine(line) || (line === '' && i === parts.length - 1)) {
      out += line + eol;
    } else {
      changed = true;
    }
  }
  return changed ? out : raw;
}

/** Free-text lines (RFC 8866 5.3-5.7) may carry UTF-8; every other line must be visible ASCII. */
const FREE_TEXT = new Set(['s', 'i', 'u', 'e', 'p']);

function isSdpLine(line: string): boolean {
  const type = line.charCodeAt(0);
  if (type < 0x61 || type > 0x7a || line.charCodeAt(1) !== 0x3d /* = */) {
    return false;
  }
  const freeText = FREE_TEXT.has(line[0] ?? '');
  for (let i = 2; i < line.length; i += 1) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || (c > 0x7e && !freeText)) {
      return false;
    }
  }
  return true;
}

/**
 * Default deny per m-line: one stays as it is only when it reads as `m=<media> <port> <proto> ...`
 * with a decimal port and a proto that names no SCTP; every other m-line is written as refused
 * (port 0), its media, proto and fmt kept where they can be read.
 */
function refuseDcMLines(raw: string): string {
  let changed = false;
  let refusing = false;
  let out = '';
  // Split on every line ending the SDP reader accepts (CRLF, LF, lone CR), keeping each one.
  const parts = raw.split(/(\r\n|\r|\n)/);
  for (let i = 0; i < parts.length; i += 2) {
    const line = parts[i] ?? '';
    const eol = parts[i + 1] ?? '';
    if (line.startsWith('m=')) {
      const refused = refusedMLine(line);
      refusing = refused !== null;
      changed ||= refusing && refused !== line;
      out += (refused ?? line) + eol;
    } else if (refusing && line.startsWith('a=')) {
      // A refused stream keeps no attributes (RFC 3264 6): the channel map, SCTP port and the rest go.
      changed = true;
    } else {
      out += line + eol;
    }
  }
  return changed ? out : raw;
}

/** The m-line as refused (port 0), or null when it reads as a non-DC m-line with a port (kept). */
function refusedMLine(line: string): string | null {
  const fields = line.slice(2).split(/[ \t]+/);
  const [media = '', port = '', proto = '', ...fmts] = fields;
  if (/^\d+(\/\d+)?$/.test(port) && port !== '0' && proto !== '' && !proto.toLowerCase().includes('sctp')) {
    return null;
  }
  if (port === '0') {
    return line;
  }
  return `m=${media === '' ? 'application' : media} 0 ${proto === '' ? 'UDP/DTLS/SCTP' : proto} ${fmts.length === 0 ? '*' : fmts.join(' ')}`;
}
