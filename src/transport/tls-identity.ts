/**
 * Who is on the other end of a TLS connection, as far as its certificate says (RFC 5922):
 * the names a verified certificate carries, whether it names a given host, and whether a
 * connection a peer opened may carry the guard's requests back to it (RFC 5923).
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { SipMessage } from '../sip/sip-message.ts';
import { viaParam } from '../sip/via.ts';
import { hostKey, unbracket } from './endpoint.ts';
import { readTopVia } from './top-via.ts';

/**
 * The DNS and URI subject alternative names of a certificate (RFC 5922 7.1), DNS names
 * lower-cased. The common name is not used, even without SANs: a certificate for a SIP
 * peer names it in its SANs or names nothing here. Node writes the list as
 * `DNS:a.example, URI:sip:b.example, IP Address:192.0.2.1`, quoting a value that holds a
 * comma or quote as a JSON string.
 */
export function certificateNames(subjectAltName: string | undefined): readonly string[] {
  if (subjectAltName === undefined || subjectAltName === '') {
    return [];
  }
  const names: string[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;
  let match: RegExpExecArray | null;
  while ((match = entry.exec(subjectAltName)) !== null && match[0] !== '') {
    const kind = match[1] ?? '';
    const raw = match[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue; // unreadable: not a name the guard can vouch for
      }
    }
    if (kind === 'DNS') {
      names.push(value.toLowerCase());
    } else if (kind === 'URI') {
      names.push(value);
    }
  }
  return names;
}

/** The names of the certificate a TLS socket's remote presented, when it verified against the CAs; else undefined. */
export function verifiedNames(socket: tls.TLSSocket): readonly string[] | undefined {
  if (!socket.authorized) {
    return undefined;
  }
  const names = certificateNames(socket.getPeerCertificate().subjectaltname);
  return names.length === 0 ? undefined : names;
}

/**
 * True when the socket's verified certificate names `host` (RFC 5922 7.2 and RFC 2818 rules,
 * as node's checkServerIdentity applies them: DNS SANs with one left-most wildcard, IP SANs
 * for an IP literal).
 */
export function certificateNamesHost(socket: tls.TLSSocket, host: string): boolean {
  if (!socket.authorized) {
    return false;
  }
  const certificate = socket.getPeerCertificate();
  if (Object.keys(certificate).length === 0) {
    return false;
  }
  return tls.checkServerIdentity(unbracket(host), certificate) === undefined;
}

/**
 * RFC 5923 5: a request over TLS whose top Via carries `alias` offers its connection for
 * requests toward its sent-by. Accepted only when the connection's verified certificate
 * names the sent-by host (RFC 5923 6: else any holder of a certificate from the CAs could
 * take another's traffic), or the sent-by is the connection's own address. Returns the
 * sent-by port to register the connection under (with the connection's remote address,
 * which is what a resolved destination compares with), or null.
 */
export function aliasPort(message: SipMessage, socket: tls.TLSSocket, remoteAddress: string): number | null {
  if (message.kind !== 'request') {
    return null;
  }
  let via;
  try {
    via = readTopVia(message).via;
  } catch {
    return null;
  }
  if (via.transport.toUpperCase() !== 'TLS' || viaParam(via, 'alias') === undefined) {
    return null;
  }
  const host = unbracket(via.host);
  const ownAddress = isIP(host) !== 0 && hostKey(host) === hostKey(remoteAddress);
  if (!ownAddress && !certificateNamesHost(socket, host)) {
    return null;
  }
  return via.port ?? 5061;
}
