/**
 * Fail-closed fallback for an SDP that `readSdp` could not read: set the port of every line
 * that looks like a DC m-line to 0, touching nothing else. The structure could not be
 * trusted, so this works on the text alone; the m-line count and order stay as they were.
 */
const DC_MLINE = /^(m=[^ \t\r\n]+[ \t]+)(\d+)((?:\/\d+)?[ \t]+(?:UDP\/DTLS\/SCTP|DTLS\/SCTP|TCP\/DTLS\/SCTP)(?:[ \t]|$))/i;

export function refuseDcMediaInText(raw: string): string {
  let changed = false;
  // Split on every line ending the SDP reader accepts (CRLF, LF, lone CR), keeping each one.
  const parts = raw.split(/(\r\n|\r|\n)/);
  const lines = parts.map((line, i) => {
    if (i % 2 === 1) {
      return line;
    }
    const match = DC_MLINE.exec(line);
    if (match === null || match[2] === '0') {
      return line;
    }
    changed = true;
    return `${match[1] ?? ''}0${line.slice((match[1] ?? '').length + (match[2] ?? '').length).replace(/^\/\d+/, '')}`;
  });
  return changed ? lines.join('') : raw;
}
