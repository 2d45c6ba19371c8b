/**
 * Who sent a message: the peer behind its transport address (or nobody), and the actor it acts
 * as. Every other decision about a message starts from this.
 */
import type { Peer } from '../profile/profile-types.ts';
import { NO_GRANTS, type Actor } from './actor.ts';

/** The transport facts a sender is known by (src/call/call-controller.ts `Inbound`). */
export interface SenderSource {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
}

export interface Sender {
  readonly peer: Peer | undefined;
  /** Transport source address, as the socket reported it. */
  readonly address: string;
  /** The transport source as a SIP URI (`sip:addr:port`, `;transport=tcp` on TCP). */
  readonly uri: string;
  /** Peer id, or `unknown:<address>`. */
  readonly label: string;
  readonly actor: Actor;
}

export function senderOf(peer: Peer | undefined, source: SenderSource): Sender {
  const label = peer?.id ?? `unknown:${source.address}`;
  const host = source.address.includes(':') ? `[${source.address}]` : source.address;
  const uri = `sip:${host}:${source.port}${source.transport === 'udp' ? '' : `;transport=${source.transport}`}`;
  return { peer, address: source.address, uri, label, actor: peer === undefined ? { id: label, trusted: false, grants: NO_GRANTS } : actorOf(peer) };
}

export function actorOf(peer: Peer): Actor {
  return { id: peer.id, trusted: peer.trusted, grants: peer.grants };
}

/** The actor of a leg's peer; a leg toward no peer acts with no grants. */
export function actorOfPeer(peer: Peer | undefined): Actor {
  return peer === undefined ? { id: 'unknown', trusted: false, grants: NO_GRANTS } : actorOf(peer);
}
