/**
 * Finds the peer a request comes from by its source address (called for every SIP message).
 *
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
  }

  byId(id: string): Peer | undefined {
    return this.#byId.get(id);
  }

  /** The peer for a source address ("192.0.2.1", "2001:db8::1", "[::1]", "::ffff:192.0.2.1"); undefined when none matches or it is not an IP address. */
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
