import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseUri, uriParam } from '../../sip/sip-uri.ts';
import type { Endpoint } from '../../transport/endpoint.ts';

/**
 * Where a SIP URI is sent (RFC 3263 reduced to what an IMS core uses toward an AS: an IP
 * literal, or an A/AAAA name, with an explicit port or 5060, UDP unless `transport=tcp`).
 * NAPTR/SRV selection is left to the core in front of the guard.
 */
export async function endpointForUri(uri: string, fallback: 'udp' | 'tcp'): Promise<Endpoint | null> {
  const parsed = parseUri(uri);
  if (parsed === null || parsed.scheme === 'tel') {
    return null;
  }
  const host = parsed.host.replace(/^\[(.*)\]$/, '$1');
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
    } catch {
      return null;
    }
  }
  const param = uriParam(parsed, 'transport');
  const transport = typeof param === 'string' ? (param.toLowerCase() === 'tcp' ? 'tcp' : 'udp') : fallback;
  return { address, port: parsed.port ?? (parsed.scheme === 'sips' ? 5061 : 5060), transport };
}
