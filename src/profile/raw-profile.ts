/**
 * The profile as written in YAML (snake_case keys, everything optional), once
 * profile.schema.json has accepted it. load-profile.ts turns it into a `Profile`.
 */
import type {
  FailMode,
  GuardMode,
  IdentityMode,
  ModifyGrant,
  UnauthorizedDcAction,
  UnknownPeerPolicy,
} from './profile-types.ts';

export interface RawProfile {
  readonly guard?: {
    readonly mode?: GuardMode;
    readonly on_unauthorized_dc?: UnauthorizedDcAction;
    readonly fail?: FailMode;
    readonly unknown_peers?: UnknownPeerPolicy;
    readonly initiator_header?: string;
  };
  readonly sip?: {
    readonly listen?: readonly string[];
    readonly next_hop?: string | null;
    readonly public_uri?: string | null;
  };
  readonly privacy?: {
    readonly pseudonym_key_env?: string;
    readonly pass_headers?: readonly string[];
  };
  readonly peers?: readonly RawPeer[];
  readonly consent?: {
    readonly default?: 'allow' | 'deny';
    readonly users?: Readonly<Record<string, RawConsentRecord>>;
  };
}

export interface RawPeer {
  readonly id: string;
  readonly trusted: boolean;
  readonly uri?: string | null;
  readonly match?: { readonly source?: readonly string[] };
  readonly identity?: IdentityMode;
  readonly grants?: {
    readonly bootstrap?: boolean;
    readonly apps?: readonly string[];
    readonly max_channels?: number | null;
    readonly max_bandwidth_kbps?: number | null;
    readonly modify?: ModifyGrant;
    readonly terminate?: boolean;
  };
  readonly limits?: {
    readonly requests_per_second?: number | null;
    readonly burst?: number | null;
    readonly concurrent_calls?: number | null;
  };
}

export interface RawConsentRecord {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}
