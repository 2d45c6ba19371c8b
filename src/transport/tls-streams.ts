/**
 * TLS sockets for the embedded transport (RFC 3261 26.2, RFC 5630): the listener and the
 * connections the guard opens. Once the handshake is done a TLS socket is framed and pooled
 * like a TCP one (embedded-transport.ts); what differs is who may be on it, decided here.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from './endpoint.ts';
import { unbracket } from './endpoint.ts';
import type { TlsMaterial } from './tls-context.ts';
import { certificateNamesHost } from './tls-identity.ts';

/** A handshake not done by then is dropped (node's default is 120 s: too long a hold on a socket). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A TLS server that asks every client for a certificate. With `requireClientCertificate`,
 * node refuses a client without one, or with one no configured CA signed, in the handshake
 * (`tlsClientError`, reported to `onRefused`); `secureConnection` sees only completed handshakes.
 */
export function createTlsListener(material: TlsMaterial, onRefused: (reason: string, remote: Endpoint | undefined) => void): tls.Server {
  const server = tls.createServer({ ...material.server, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  server.on('tlsClientError', (err, socket) => {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    onRefused(err.message, address === undefined || port === undefined ? undefined : { address, port, transport: 'tls' });
    socket.destroy();
  });
  return server;
}

/**
 * Opens a TLS connection that presents the guard's certificate and accepts the server's only
 * when the CAs signed it and it names the host the guard is sending to (RFC 5922 7.2, via
 * node's checkServerIdentity): `to.serverName`, else the address. SNI carries a host name,
 * never an IP literal (RFC 6066 3). Emits `secureConnect` when usable.
 */
export function openTlsSocket(to: Endpoint, localAddress: string | undefined, material: TlsMaterial): tls.TLSSocket {
  const name = unbracket(to.serverName ?? to.address);
  // tls.connect takes socket.connect() options too (localAddress); its types do not list them.
  const options: tls.ConnectionOptions & { localAddress?: string } = {
    ...material.client,
    host: to.address,
    port: to.port,
    ...(isIP(name) === 0 ? { servername: name } : {}),
    checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(name, certificate),
  };
  if (localAddress !== undefined) {
    options.localAddress = localAddress;
  }
  return tls.connect(options);
}

/**
 * Whether a pooled TLS connection may carry a message to `to`: the connection the remote
 * opened itself goes on serving that very remote (its responses, in-dialog requests to the
 * address and port it sent from, named by IP); any other use needs the connection's verified
 * certificate to name the host the message is for, as a new connection would (RFC 5923 6).
 */
export function tlsConnectionServes(socket: tls.TLSSocket, accepted: boolean, sameRemote: boolean, to: Endpoint): boolean {
  if (accepted && sameRemote && (to.serverName === undefined || isIP(unbracket(to.serverName)) !== 0)) {
    return true;
  }
  return certificateNamesHost(socket, to.serverName ?? to.address);
}
