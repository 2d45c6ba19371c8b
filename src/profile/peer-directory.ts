/**
 * Finds the peer a request comes from by its source address and, over TLS, by the names in
 * its verified certificate (called for every SIP message).
 *
 * Certificate first (`bySource`): a message whose verified certificate carries one of a
 * peer's `certificateSans` is from that peer, from whatever address, unless the peer also
 * lists sources, and then the address must be in them too. A peer with certificateSans is
 * never recognised by its address alone: a UDP packet can claim any source, and a TCP
 * sender inside the range need not be the peer (RFC 5922 7.1).
 *
 * By address:
 * The longest matching prefix wins; on equal prefixes the peer listed first in the profile
 * wins. An IPv4-mapped IPv6 address (::ffff:127.0.0.3, as a dual-stack socket reports an
 * IPv4 sender, RFC 4291 section 2.5.5.2) is matched as the IPv4 address it carries.
 * Answers are cached per address string in a bounded map, so a steady set of peers costs one
 * Map lookup per message.
 */
import { cidrContains, parseCidr, parseIpAddress, unmapIpv4 } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import type { Peer } from './profile-types.ts';

interface Route {
  readonly cidr: Cidr;
  readonly peer: Peer;
}

export class PeerDirectory {
  /** Addresses remembered; past this the oldest answer is forgotten first. */
  static readonly CACHE_LIMIT = 4096;

  readonly #byId = new Map<string, Peer>();
  /** Peers with certificateSans, in profile order, with their names lower-cased and their own routes. */
  readonly #byCertificate: readonly { readonly peer: Peer; readonly names: ReadonlySet<string>; readonly cidrs: readonly Cidr[] }[];
  /** Longest prefix first; equal prefixes in profile order. */
  readonly #routes: readonly Route[];
  /** Address as given -> peer, or null for "no peer" (also remembered). */
  readonly #cache = new Map<string, Peer | null>();

  constructor(peers: readonly Peer[]) {
    const routes: Route[] = [];
    for (const peer of peers) {
      if (this.#byId.has(peer.id)) {
        throw new Error(`PeerDirectory: duplicate peer id ${JSON.stringify(peer.id)}`);
      }
      this.#byId.set(peer.id, peer);
      for (const source of peer.sources) {
        const parsed = parseCidr(source);
        if (!parsed.ok) {
          throw new Error(`PeerDirectory: peer ${JSON.stringify(peer.id)}: ${parsed.reason}`);
        }
        routes.push({ cidr: parsed.cidr, peer });
      }
    }
    // Array.prototype.sort is stable, so equal prefixes keep profile order.
    this.#routes = routes.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
    this.#byCertificate = peers
      .filter((peer) => peer.certificateSans.length > 0)
      .map((peer) => ({
        peer,
        names: new Set(peer.certificateSans.map((name) => name.toLowerCase())),
        cidrs: routes.filter((route) => route.peer === peer).map((route) => route.cidr),
      }));
  }

  /**
   * The peer a message is from: by the names of its verified TLS certificate, else by its
   * address (see the module comment for why a certificate peer needs its certificate).
   */
  bySource(source: { readonly address: string; readonly tlsNames?: readonly string[] | undefined }): Peer | undefined {
    const names = source.tlsNames ?? [];
    if (names.length > 0) {
      const found = this.#certificatePeer(names, source.address);
      if (found !== undefined) {
        return found;
      }
    }
    const peer = this.byAddress(source.address);
    return peer === undefined || peer.certificateSans.length === 0 ? peer : undefined;
  }

  byId(id: string): Peer | undefined {
    return this.#byId.get(id);
  }

  /**
   * The peer whose sources hold an address ("192.0.2.1", "2001:db8::1", "[::1]", "::ffff:192.0.2.1"),
   * whatever certificate it requires: which peer an address belongs to (a destination). For where
   * an inbound message is from, use `bySource`. Undefined when none matches or it is not an IP address.
   */
  byAddress(ip: string): Peer | undefined {
    const cached = this.#cache.get(ip);
    if (cached !== undefined) {
      return cached ?? undefined;
    }
    const found = this.#lookup(ip);
    if (this.#cache.size >= PeerDirectory.CACHE_LIMIT) {
      // Map iterates in insertion order: drop the oldest entry.
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) {
        this.#cache.delete(oldest.value);
      }
    }
    this.#cache.set(ip, found ?? null);
    return found;
  }

  #certificatePeer(names: readonly string[], ip: string): Peer | undefined {
    const lower = names.map((name) => name.toLowerCase());
    const parsed = parseIpAddress(ip);
    const address = parsed === undefined ? undefined : unmapIpv4(parsed);
    for (const entry of this.#byCertificate) {
      if (!lower.some((name) => entry.names.has(name))) {
        continue;
      }
      if (entry.cidrs.length === 0 || (address !== undefined && entry.cidrs.some((cidr) => cidrContains(cidr, address)))) {
        return entry.peer;
      }
    }
    return undefined;
  }

  #lookup(ip: string): Peer | undefined {
    const parsed = parseIpAddress(ip);
    if (parsed === undefined) {
      return undefined;
    }
    const address = unmapIpv4(parsed);
    for (const route of this.#routes) {
      if (cidrContains(route.cidr, address)) {
        return route.peer;
      }
    }
    return undefined;
  }
}
