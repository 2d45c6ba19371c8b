import { parseHostPort } from './host-syntax.ts';

/**
 * Checks that `text` is a sip: or sips: URI with a usable host (RFC 3261 section 19.1.1):
 * `sip:[user@]host[:port][;params]`. Returns why not, or undefined when it is fine.
 * URI headers ("?...") are refused: they make no sense in a next hop or a Route.
 */
export function sipUriProblem(text: string): string | undefined {
  const match = /^(sips?):(?:([^@\s]+)@)?([^;?\s]+)(;[^?\s]*)?$/i.exec(text);
  if (match === null) {
    if (!/^sips?:/i.test(text)) {
      return `must be a sip: or sips: URI (got "${text}")`;
    }
    return `not a valid SIP URI: "${text}"`;
  }
  const hostPort = parseHostPort(match[3] ?? '');
  if (!hostPort.ok) {
    return `not a valid SIP URI: "${text}" (${hostPort.reason})`;
  }
  return undefined;
}
