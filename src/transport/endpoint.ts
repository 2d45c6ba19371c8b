/**
 * Where a SIP message comes from or goes to: one transport address (RFC 3261 18). Addresses are
 * plain IP literals as node reports them (IPv6 without brackets) or, for outbound messages,
 * a host name the socket layer resolves.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /**
   * Inbound over TLS only: the DNS and URI subject alternative names of the certificate the
   * remote presented and the guard verified against its CAs (RFC 5922 7.1). Absent: no
   * verified certificate (UDP, TCP, or TLS without a client certificate).
   */
  readonly tlsNames?: readonly string[];
  /**
   * Outbound over TLS only: the host the remote's certificate must name (RFC 5922 7.2: the
   * host of the URI the guard is sending to). Absent: the address itself.
   */
  readonly serverName?: string;
}

/**
 * A Map key for an endpoint: brackets removed and lower-cased, so "[2001:DB8::1]" and
 * "2001:db8::1" are one remote. Transport included: a UDP, a TCP and a TLS peer are different.
 */
export function endpointKey(e: Endpoint): string {
  return `${e.transport}|${hostKey(e.address)}|${e.port}`;
}

/** A host as written in a Via or URI ("[2001:db8::1]") in the form sockets use ("2001:db8::1"). */
export function unbracket(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 0x5b /* [ */ && host.charCodeAt(host.length - 1) === 0x5d /* ] */
    ? host.slice(1, -1)
    : host;
}

/** Lower-cased, unbracketed host: how hosts are compared (RFC 3261 19.1.4: hosts compare case-insensitively). */
export function hostKey(host: string): string {
  return unbracket(host).toLowerCase();
}

/**
 * An IP address in one canonical form, for telling whether two packets came from the same
 * host: brackets removed, lower-cased, an IPv4-mapped IPv6 address ("::ffff:192.0.2.1", what a
 * dual-stack socket reports for an IPv4 peer) reduced to its IPv4 address, and other IPv6
 * addresses compressed the way the WHATWG URL serializer does (RFC 5952), so "2001:DB8:0::1"
 * and "2001:db8::1" are one host. Host names come back lower-cased and otherwise unchanged.
 */
export function addressKey(address: string): string {
  const a = hostKey(address);
  if (a.startsWith('::ffff:') && isIPv4(a.slice(7))) {
    return a.slice(7);
  }
  if (isIPv6(a)) {
    try {
      const host = new URL(`http://[${a}]/`).hostname;
      return host.slice(1, -1);
    } catch {
      return a;
    }
  }
  return a;
}

/** True when `address` is an IPv4 or IPv6 literal (brackets allowed), false for a host name. */
export function isIpLiteral(address: string): boolean {
  return isIP(unbracket(address)) !== 0;
}
