/** Host and port syntax shared by listen entries and SIP URIs (RFC 3261 section 25.1 `hostport`). */
import { isIP } from 'node:net';

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

export interface HostPort {
  /** IPv6 addresses without their brackets. */
  readonly host: string;
  readonly port: number | null;
}

/**
 * Splits "host", "host:port", "[v6]" or "[v6]:port". Returns a reason when the host is not an
 * IPv4 address, a bracketed IPv6 address or a DNS name, or the port is not 1-65535.
 */
export function parseHostPort(text: string): { readonly ok: true; readonly value: HostPort } | { readonly ok: false; readonly reason: string } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = close < 0 ? text : text.slice(1, close);
    const rest = close < 0 ? '' : text.slice(close + 1);
    if (close < 0 || isIP(host) !== 6 || (rest !== '' && !rest.startsWith(':'))) {
      return { ok: false, reason: `bad IPv6 host "${close < 0 ? text : text.slice(0, close + 1)}"` };
    }
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (host.includes(':')) {
      return { ok: false, reason: `IPv6 host must be in brackets ("[${host}]")` };
    }
    // All digits and dots: it is meant as an IPv4 address, so it must be one.
    const valid = /^[0-9.]+$/.test(host) ? isIP(host) === 4 : HOSTNAME.test(host);
    if (!valid) {
      return { ok: false, reason: `bad host "${host}"` };
    }
  }
  if (portText === undefined) {
    return { ok: true, value: { host, port: null } };
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return { ok: false, reason: `port ${JSON.stringify(portText)} is not 1-65535` };
  }
  return { ok: true, value: { host, port } };
}
