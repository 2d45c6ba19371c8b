/** The operator profile after validation: frozen, typed, defaults filled in. */

export type GuardMode = 'enforce' | 'monitor';
export type UnauthorizedDcAction = 'strip' | 'reject';
export type FailMode = 'closed' | 'open';
export type UnknownPeerPolicy = 'reject' | 'untrusted';
export type IdentityMode = 'pass' | 'remove' | 'anonymous' | 'pseudonym';
export type ModifyGrant = 'none' | 'own' | 'any';

export interface PeerGrants {
  readonly bootstrap: boolean;
  /** Application ids this peer may open; "*" means any. */
  readonly apps: readonly string[];
  readonly maxChannels: number | null;
  readonly maxBandwidthKbps: number | null;
  readonly modify: ModifyGrant;
  readonly terminate: boolean;
  /**
   * May see the user's terminal capabilities: the feature tags of Contact, Accept-Contact and
   * Feature-Caps (RFC 3840, 3841, 6809). Without it the peer gets only the DC tags, and only
   * with a DC it is sent (src/privacy/capability-tags.ts).
   */
  readonly capabilities: boolean;
}

export interface PeerLimits {
  readonly requestsPerSecond: number | null;
  readonly burst: number | null;
  readonly concurrentCalls: number | null;
}

export interface Peer {
  readonly id: string;
  readonly trusted: boolean;
  /** Where the guard reaches this peer, or null. */
  readonly uri: string | null;
  /** CIDR strings as written ("127.0.0.3/32", "::1/128"). */
  readonly sources: readonly string[];
  /**
   * Subject alternative names (DNS or URI) one of which the peer's TLS certificate must carry;
   * empty: the peer is not recognised by certificate. With sources too, both must match.
   */
  readonly certificateSans: readonly string[];
  readonly identity: IdentityMode;
  readonly grants: PeerGrants;
  readonly limits: PeerLimits;
}

export type ListenTransport = 'udp' | 'tcp' | 'tls';

export interface ListenSpec {
  readonly transport: ListenTransport;
  readonly host: string;
  readonly port: number;
}

/** `sip.tls`: file paths are absolute (resolved against the profile's folder); read by the transport. */
export type { TlsSettings } from '../transport/tls-context.ts';
import type { TlsSettings } from '../transport/tls-context.ts';

/** `limits.message`: checked by the SIP parser before any policy work. */
export type { MessageLimits } from '../sip/message-limits.ts';
import type { MessageLimits } from '../sip/message-limits.ts';

/** `limits.transport`: the embedded front end's sockets. */
export interface TransportLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  readonly headerDeadlineMs: number;
  readonly idleTimeoutMs: number;
  readonly maxWriteQueueBytes: number;
}

/** `limits.fair_share`: per-peer queues in front of the call controller. */
export interface FairShareLimits {
  readonly queuePerPeer: number;
  readonly queueUnknown: number;
  readonly retryAfterS: number;
}

export interface Limits {
  readonly message: MessageLimits;
  readonly transport: TransportLimits;
  readonly fairShare: FairShareLimits;
}

/** `state`: where calls, per-peer counters and API-made consent records live. */
export interface StateSettings {
  readonly store: 'memory' | 'redis';
  readonly url: string;
  /** Environment variable holding the Redis password; null: no AUTH. */
  readonly passwordEnv: string | null;
  readonly keyPrefix: string;
  /** A store command slower than this is a store failure. */
  readonly commandTimeoutMs: number;
}

/** `admin`: the HTTP listener for health, metrics, reload, drain and consent; null when the profile has none. */
export interface AdminSettings {
  readonly host: string;
  readonly port: number;
  readonly tokenEnv: string;
}

export interface ConsentRecord {
  /** Entries "peer-id" or "peer-id:app-id" ("peer-id:bootstrap" for bootstrap DCs). */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** `apps_only`: the applications the user subscribed to; absent, no subscription list. */
  readonly appsOnly?: readonly string[];
}

export interface Profile {
  /** Absolute path of the file this profile was loaded from. */
  readonly file: string;
  readonly guard: {
    readonly mode: GuardMode;
    readonly onUnauthorizedDc: UnauthorizedDcAction;
    readonly fail: FailMode;
    readonly unknownPeers: UnknownPeerPolicy;
    readonly initiatorHeader: string;
  };
  readonly sip: {
    readonly listen: readonly ListenSpec[];
    readonly nextHop: string | null;
    /** The URI the guard puts in Contact/Via/Route for itself; derived from the first listen entry when absent. */
    readonly publicUri: string | null;
    /** Null when the profile has no `sip.tls` (then nothing in it is TLS). */
    readonly tls: TlsSettings | null;
    /** `sip.forked_answers`: what becomes of a 2xx from a second fork of one INVITE (RFC 3261 13.2.2.4); only `end` (ACK and BYE) so far. */
    readonly forkedAnswers: 'end';
    /** `sip.min_se`: the shortest session interval (RFC 4028 Min-SE, seconds) the guard accepts; default 90. */
    readonly minSe: number;
  };
  readonly privacy: {
    readonly pseudonymKeyEnv: string;
    /**
     * Extra header names (canonical spelling, src/sip/sip-header-names.ts) that cross the
     * guard in both directions between the core and a peer whose identity mode is not pass,
     * on top of the built-in allow-lists (src/privacy/header-allow-list.ts). Default [].
     */
    readonly passHeaders: readonly string[];
  };
  readonly state: StateSettings;
  readonly admin: AdminSettings | null;
  readonly audit: {
    /** How served users appear in audit lines: pseudonym (default) or clear. */
    readonly identities: 'pseudonym' | 'clear';
  };
  readonly limits: Limits;
  readonly peers: readonly Peer[];
  readonly consent: {
    readonly default: 'allow' | 'deny';
    /** Keyed by the identity as written in the profile. */
    readonly users: Readonly<Record<string, ConsentRecord>>;
  };
}
