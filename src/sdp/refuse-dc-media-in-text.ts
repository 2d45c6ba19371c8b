/**
 * Fail-closed fallback for an SDP that `readSdp` could not read: set the port of every line
 * that looks like a DC m-line to 0, touching nothing else. The structure could not be
 * trusted, so this works on the text alone; the m-line count and order stay as they were.
 */
const DC_MLINE = /^(m=[^ \r\n]+ )(\d+)((?:\/\d+)? (?:UDP\/DTLS\/SCTP|DTLS\/SCTP|TCP\/DTLS\/SCTP) )/i;

export function refuseDcMediaInText(raw: string): string {
  let changed = false;
  const lines = raw.split('\n').map((line) => {
    const match = DC_MLINE.exec(line);
    if (match === null || match[2] === '0') {
      return line;
    }
    changed = true;
    return `${match[1] ?? ''}0${line.slice((match[1] ?? '').length + (match[2] ?? '').length).replace(/^\/\d+/, '')}`;
  });
  return changed ? lines.join('\n') : raw;
}
