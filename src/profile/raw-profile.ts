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
    readonly tls?: RawTls | null;
    readonly forked_answers?: 'end';
    readonly min_se?: number;
  };
  readonly privacy?: {
    readonly pseudonym_key_env?: string;
    readonly pass_headers?: readonly string[];
  };
  readonly state?: {
    readonly store?: 'memory' | 'redis';
    readonly url?: string;
    readonly password_env?: string;
    readonly key_prefix?: string;
    readonly command_timeout_ms?: number;
  };
  readonly admin?: {
    readonly listen?: string;
    readonly token_env?: string;
  };
  readonly audit?: {
    readonly identities?: 'pseudonym' | 'clear';
  };
  readonly limits?: {
    readonly message?: {
      readonly max_message_bytes?: number;
      readonly max_headers?: number;
      readonly max_header_bytes?: number;
      readonly max_params_per_header?: number;
      readonly max_list_entries?: number;
      readonly max_sdp_lines?: number;
      readonly max_sdp_media?: number;
      readonly max_body_parts?: number;
      readonly max_multipart_depth?: number;
    };
    readonly transport?: { readonly [key in keyof typeof TRANSPORT_LIMIT_DEFAULTS]?: number };
    readonly fair_share?: { readonly [key in keyof typeof FAIR_SHARE_DEFAULTS]?: number };
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
  readonly match?: { readonly source?: readonly string[]; readonly certificate?: { readonly san: readonly string[] } };
  readonly identity?: IdentityMode;
  readonly grants?: {
    readonly bootstrap?: boolean;
    readonly apps?: readonly string[];
    readonly max_channels?: number | null;
    readonly max_bandwidth_kbps?: number | null;
    readonly modify?: ModifyGrant;
    readonly terminate?: boolean;
    readonly capabilities?: boolean;
  };
  readonly limits?: {
    readonly requests_per_second?: number | null;
    readonly burst?: number | null;
    readonly concurrent_calls?: number | null;
  };
}

export interface RawTls {
  readonly certificate: string;
  readonly key: string;
  readonly ca: readonly string[];
  readonly min_version?: 'TLSv1.2' | 'TLSv1.3';
  readonly require_client_certificate?: boolean;
}

/** Defaults of `limits.transport` and `limits.fair_share`, keyed as written in YAML (the schema repeats them for editors). */
export const TRANSPORT_LIMIT_DEFAULTS = {
  max_connections: 1024,
  max_connections_per_source: 64,
  header_deadline_ms: 10_000,
  idle_timeout_ms: 120_000,
  max_write_queue_bytes: 1_048_576,
} as const;

export const FAIR_SHARE_DEFAULTS = {
  queue_per_peer: 256,
  queue_unknown: 64,
  retry_after_s: 5,
} as const;

export interface RawConsentRecord {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
  readonly apps_only?: readonly string[];
}
