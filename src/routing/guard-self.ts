import type { ListenTransport, Profile } from '../profile/profile-types.ts';
import { parseUri, type SipUri } from '../sip/sip-uri.ts';

/**
 * The guard's own SIP address: what it writes in Via, Contact and Route, and how it knows
 * a Route entry (RFC 3261 16.4) is its own.
 */
export class GuardSelf {
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  readonly transport: ListenTransport;
  /**
   * Where the guard takes TLS: the public host (else the tls listen host) with the first tls
   * listen entry's port; null without a tls listen entry. What the guard writes about itself
   * in a message that goes over TLS (RFC 3261 26.2, RFC 5630).
   */
  readonly tls: { readonly host: string; readonly port: number; readonly uri: string } | null;
  readonly #addresses: Set<string>;
  /** Asked for every SDP the guard stamps or shields: worked out once. */
  readonly #sdpAddress: { readonly address: string; readonly addrType: 'IP4' | 'IP6' };

  constructor(profile: Profile) {
    const first = profile.sip.listen[0];
    const publicUri = profile.sip.publicUri === null ? null : parseUri(profile.sip.publicUri);
    this.transport = first?.transport ?? 'udp';
    this.host = publicUri?.host ?? bracketed(first?.host ?? '127.0.0.1');
    this.port = publicUri?.port ?? first?.port ?? 5060;
    this.uri = `sip:${this.host}:${this.port}`;
    const bare = this.host.replace(/^\[(.*)\]$/, '$1');
    this.#sdpAddress = Object.freeze({ address: bare, addrType: bare.includes(':') ? 'IP6' : 'IP4' });
    this.#addresses = new Set(profile.sip.listen.map((l) => addressKey(bracketed(l.host), l.port)));
    this.#addresses.add(addressKey(this.host, this.port));
    const tlsListen = profile.sip.listen.find((l) => l.transport === 'tls');
    if (tlsListen === undefined) {
      this.tls = null;
    } else {
      const host = publicUri?.host ?? bracketed(tlsListen.host);
      this.tls = { host, port: tlsListen.port, uri: `sip:${host}:${tlsListen.port}` };
      this.#addresses.add(addressKey(host, tlsListen.port));
    }
  }

  /** True when the URI names this guard (any listen address, or the public URI). */
  owns(uri: SipUri): boolean {
    return this.#addresses.has(addressKey(uri.host, uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060)));
  }

  /** The guard's own Route entry, with a route token when the call must come back through it. */
  routeEntry(params: Readonly<Record<string, string>>): string {
    const extra = Object.entries(params)
      .map(([name, value]) => `;${name}=${value}`)
      .join('');
    return `<${this.uri};lr${extra}>`;
  }

  /**
   * The Contact the guard writes on a leg. `features`: the feature parameters it carries for
   * the party it stands in for (`;+sip.app-subtype="webrtc-datachannel"`, src/call/contact-features.ts),
   * header parameters after the `>` (RFC 3840 9); the URI is always the guard's own.
   */
  contact(features = ''): string {
    return `${this.contactAddress()}${features}`;
  }

  /** The `<uri>` part of the guard's Contact, which the embedded front end recognises and rewrites for TLS. */
  contactAddress(): string {
    return `<${this.uri}${this.transport === 'udp' ? '' : `;transport=${this.transport}`}>`;
  }

  /** The guard's address as SDP writes it (`o=`, `c=`: RFC 4566 5.2, 5.7), for SDP the guard writes itself. */
  sdpAddress(): { readonly address: string; readonly addrType: 'IP4' | 'IP6' } {
    return this.#sdpAddress;
  }

  via(branch: string): string {
    return `SIP/2.0/${this.transport.toUpperCase()} ${this.host}:${this.port};branch=${branch};rport`;
  }
}

function addressKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
