/**
 * Where a SIP message comes from or goes to: one transport address (RFC 3261 18). Addresses are
 * plain IP literals as node reports them (IPv6 without brackets) or, for outbound messages,
 * a host name the socket layer resolves.
 */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
}

/**
 * A Map key for an endpoint: brackets removed and lower-cased, so "[2001:DB8::1]" and
 * "2001:db8::1" are one remote. Transport included: a UDP and a TCP peer are different.
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
