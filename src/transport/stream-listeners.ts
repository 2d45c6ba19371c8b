/**
 * The stream listeners of the embedded transport: TCP servers, and TLS servers whose sockets come
 * out of a handshake (tls-streams.ts), each handing its connections to the stream pool; and where
 * an outbound connection leaves from.
 */
import net from 'node:net';
import type { SipMessage } from '../sip/sip-message.ts';
import type { Endpoint } from './endpoint.ts';
import { hostKey } from './endpoint.ts';
import { describe, familyOf, isWildcard } from './socket-facts.ts';
import type { TlsMaterial } from './tls-context.ts';
import { createTlsListener } from './tls-streams.ts';
import { readTopVia } from './top-via.ts';

export interface StreamListener {
  readonly server: net.Server;
  readonly transport: 'tcp' | 'tls';
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
  /** Local address for outbound connections of that family, or undefined for a wildcard listener. */
  readonly localAddress: string | undefined;
}

export interface StreamListenerEvents {
  /** A connection ready for SIP: accepted (TCP) or through its handshake (TLS). */
  readonly onConnection: (socket: net.Socket, listener: StreamListener) => void;
  /** A TLS listener's raw TCP connection, before its handshake: false closes it. */
  readonly onRawTlsConnection: (raw: net.Socket) => boolean;
  readonly report: (kind: string, detail: string, source?: Endpoint) => void;
}

/** Listens on `host:port`; a TLS listener needs the certificates (`material`). */
export async function listenStream(host: string, port: number, transport: 'tcp' | 'tls', material: TlsMaterial | undefined, events: StreamListenerEvents): Promise<StreamListener> {
  const family = familyOf(host) === 6 ? 6 : 4;
  let server: net.Server;
  if (transport === 'tls') {
    if (material === undefined) {
      throw new Error(`cannot listen on tls:${host}:${port}: TLS needs sip.tls (certificate, key, ca)`);
    }
    server = createTlsListener(material, (reason, remote) => events.report('tls-refused', reason, remote));
    // Registered before node's own listener would matter: a refused raw socket is destroyed at once.
    server.on('connection', (raw: net.Socket) => {
      try {
        events.onRawTlsConnection(raw);
      } catch (err) {
        events.report('internal-error', `TLS accept: ${describe(err)}`);
        raw.destroy();
      }
    });
  } else {
    server = net.createServer();
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  const boundAddress = typeof bound === 'object' && bound !== null ? bound.address : host;
  const listener: StreamListener = {
    server,
    transport,
    family,
    endpoint: { address: boundAddress, port: boundPort, transport },
    localAddress: isWildcard(boundAddress) || familyOf(boundAddress) === 0 ? undefined : boundAddress,
  };
  server.on('error', (err) => events.report('tcp-error', describe(err), listener.endpoint));
  server.on(transport === 'tls' ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    try {
      events.onConnection(socket, listener);
    } catch (err) {
      events.report('internal-error', `${transport.toUpperCase()} accept: ${describe(err)}`);
      socket.destroy();
    }
  });
  return listener;
}

/**
 * Where an outbound connection to `to` leaves from: the listen address of its transport that the
 * request's Via names (where its responses are expected); otherwise (undefined) the OS picks the
 * source address, which always has a route to the destination.
 */
export function localAddressFor(listeners: readonly StreamListener[], message: SipMessage, to: Endpoint): string | undefined {
  const family = familyOf(to.address);
  const transport = to.transport === 'tls' ? 'tls' : 'tcp';
  return listeners.find((l) => l.transport === transport && l.family === family && l.localAddress !== undefined && namesListener(message, l))?.localAddress;
}

/** True when a request's top Via names this listener. */
function namesListener(message: SipMessage, l: StreamListener): boolean {
  if (message.kind !== 'request') {
    return false;
  }
  try {
    return hostKey(readTopVia(message).via.host) === hostKey(l.endpoint.address);
  } catch {
    return false;
  }
}
