import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseUri, uriParam } from '../../sip/sip-uri.ts';
import type { Endpoint } from '../../transport/endpoint.ts';

/** Turns a host name into an address; tests put their own names on loopback addresses. */
export type ResolveHost = (host: string) => Promise<string>;

const resolveByDns: ResolveHost = async (host) => (await lookup(host)).address;

/**
 * Where a SIP URI is sent (RFC 3263 reduced to what an IMS core uses toward an AS: an IP
 * literal, or an A/AAAA name, with an explicit port or the scheme's default, UDP unless
 * `transport=tcp`). NAPTR/SRV selection is left to the core in front of the guard.
 *
 * A `sips:` URI, or one with `transport=tls`, goes over TLS only (RFC 3261 26.2.2, RFC 5630
 * 3.1.3), default port 5061, and the certificate of whoever answers must name the URI's host
 * (RFC 5922 7.2), carried as `serverName`: never cleartext to a peer that asked for TLS.
 */
export async function endpointForUri(uri: string, fallback: 'udp' | 'tcp', resolveHost: ResolveHost = resolveByDns): Promise<Endpoint | null> {
  const parsed = parseUri(uri);
  if (parsed === null || parsed.scheme === 'tel') {
    return null;
  }
  const host = parsed.host.replace(/^\[(.*)\]$/, '$1');
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = await resolveHost(host);
    } catch {
      return null;
    }
  }
  const param = uriParam(parsed, 'transport');
  const named = typeof param === 'string' ? param.toLowerCase() : null;
  if (parsed.scheme === 'sips' || named === 'tls') {
    return { address, port: parsed.port ?? 5061, transport: 'tls', serverName: host };
  }
  const transport = named === null ? fallback : named === 'tcp' ? 'tcp' : 'udp';
  return { address, port: parsed.port ?? 5060, transport };
}
