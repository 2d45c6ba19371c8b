/**
 * Reads an operator profile (YAML) into the frozen, typed `Profile`.
 *
 * Three passes, each reporting `file:line: path: reason`: YAML syntax (first error only,
 * later ones are mostly its echoes), the JSON Schema (every error, one per value), then
 * the checks a schema cannot express (every error). A pass runs only when the one
 * before it found nothing.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseListenSpec } from './listen-spec.ts';
import { ProfileError } from './profile-error.ts';
import { ProfileSource } from './profile-source.ts';
import type { AdminSettings, ConsentRecord, Limits, ListenSpec, Peer, PeerGrants, Profile, StateSettings, TlsSettings } from './profile-types.ts';
import { FAIR_SHARE_DEFAULTS, TRANSPORT_LIMIT_DEFAULTS } from './raw-profile.ts';
import type { RawConsentRecord, RawPeer, RawProfile, RawTls } from './raw-profile.ts';
import { schemaProblems } from './schema-check.ts';
import { semanticProblems } from './semantic-check.ts';
import { canonicalHeaderName } from '../sip/sip-header-names.ts';
import { DEFAULT_MESSAGE_LIMITS } from '../sip/message-limits.ts';

export const DEFAULT_LISTEN: readonly string[] = ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'];

/**
 * Reads and parses `file`. `Profile.file` is its absolute path; messages name the file as
 * it was given (like a compiler does). Throws ProfileError, also when the file cannot be read.
 */
/** RFC 4028 4: no Min-SE below 90 s; the guard's floor unless the profile raises it. */
export const DEFAULT_MIN_SE = 90;

export function loadProfile(file: string): Profile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ProfileError(file, 0, `cannot read the profile (${why})`);
  }
  return parse(text, file, resolve(file));
}

/** Parses profile text; `file` is used as given, in messages and as `Profile.file`. Throws ProfileError. */
export function parseProfile(text: string, file: string): Profile {
  return parse(text, file, file);
}

function parse(text: string, shownAs: string, file: string): Profile {
  const source = new ProfileSource(text);
  if (source.syntaxProblems.length > 0) {
    throw ProfileError.of(shownAs, source.syntaxProblems);
  }
  if (source.data === null || source.data === undefined) {
    throw new ProfileError(shownAs, 1, 'the profile is empty (expected the keys guard, sip, privacy, peers, consent)');
  }
  const schema = schemaProblems(source);
  if (schema.length > 0) {
    throw ProfileError.of(shownAs, schema);
  }
  const raw = source.data as RawProfile;
  const semantic = semanticProblems(raw, source);
  if (semantic.length > 0) {
    throw ProfileError.of(shownAs, semantic);
  }
  return deepFreeze(buildProfile(raw, file));
}

const TRUSTED_GRANTS: PeerGrants = {
  bootstrap: true,
  apps: ['*'],
  maxChannels: null,
  maxBandwidthKbps: null,
  modify: 'any',
  terminate: true,
  capabilities: true,
};

function buildProfile(raw: RawProfile, file: string): Profile {
  const guard = raw.guard ?? {};
  const sip = raw.sip ?? {};
  const privacy = raw.privacy ?? {};
  const consent = raw.consent ?? {};
  const users: Record<string, ConsentRecord> = {};
  for (const [user, record] of Object.entries(consent.users ?? {})) {
    users[user] = buildConsent(record);
  }
  return {
    file,
    guard: {
      mode: guard.mode ?? 'enforce',
      onUnauthorizedDc: guard.on_unauthorized_dc ?? 'strip',
      fail: guard.fail ?? 'closed',
      unknownPeers: guard.unknown_peers ?? 'reject',
      initiatorHeader: guard.initiator_header ?? 'P-DC-Initiator',
    },
    sip: {
      listen: (sip.listen ?? DEFAULT_LISTEN).map(listenSpec),
      nextHop: sip.next_hop ?? null,
      publicUri: sip.public_uri ?? null,
      tls: sip.tls === undefined || sip.tls === null ? null : buildTls(sip.tls, dirname(file)),
      forkedAnswers: sip.forked_answers ?? 'end',
      minSe: sip.min_se ?? DEFAULT_MIN_SE,
    },
    privacy: {
      pseudonymKeyEnv: privacy.pseudonym_key_env ?? 'DC_GUARD_PSEUDONYM_KEY',
      // Canonical spelling (compact forms expanded), as the parser stores names.
      passHeaders: (privacy.pass_headers ?? []).map(canonicalHeaderName),
    },
    state: buildState(raw.state ?? {}),
    admin: raw.admin === undefined ? null : buildAdmin(raw.admin),
    audit: { identities: raw.audit?.identities ?? 'pseudonym' },
    limits: buildLimits(raw.limits ?? {}),
    peers: (raw.peers ?? []).map(buildPeer),
    consent: { default: consent.default ?? 'allow', users },
  };
}

function buildState(raw: NonNullable<RawProfile['state']>): StateSettings {
  return {
    store: raw.store ?? 'memory',
    url: raw.url ?? 'redis://127.0.0.1:6379/0',
    passwordEnv: raw.password_env ?? null,
    keyPrefix: raw.key_prefix ?? 'dcg:',
    commandTimeoutMs: raw.command_timeout_ms ?? 250,
  };
}

function buildAdmin(raw: NonNullable<RawProfile['admin']>): AdminSettings {
  // The schema's pattern accepted it: host:port, IPv6 in brackets.
  const listen = raw.listen ?? '127.0.0.1:9090';
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(colon + 1)), tokenEnv: raw.token_env ?? 'DC_GUARD_ADMIN_TOKEN' };
}

function buildPeer(raw: RawPeer): Peer {
  const grants = raw.grants ?? {};
  const limits = raw.limits ?? {};
  return {
    id: raw.id,
    trusted: raw.trusted,
    uri: raw.uri ?? null,
    sources: [...(raw.match?.source ?? [])],
    certificateSans: [...(raw.match?.certificate?.san ?? [])],
    identity: raw.identity ?? (raw.trusted ? 'pass' : 'pseudonym'),
    // A trusted peer may do everything; untrusted peers get only what is written.
    grants: raw.trusted
      ? { ...TRUSTED_GRANTS, apps: [...TRUSTED_GRANTS.apps] }
      : {
          bootstrap: grants.bootstrap ?? false,
          apps: [...(grants.apps ?? [])],
          maxChannels: grants.max_channels ?? null,
          maxBandwidthKbps: grants.max_bandwidth_kbps ?? null,
          modify: grants.modify ?? 'none',
          terminate: grants.terminate ?? false,
          capabilities: grants.capabilities ?? false,
        },
    limits: {
      requestsPerSecond: limits.requests_per_second ?? null,
      burst: limits.burst ?? null,
      concurrentCalls: limits.concurrent_calls ?? null,
    },
  };
}

function buildTls(raw: RawTls, folder: string): TlsSettings {
  return {
    certificateFile: resolve(folder, raw.certificate),
    keyFile: resolve(folder, raw.key),
    caFiles: raw.ca.map((ca) => resolve(folder, ca)),
    minVersion: raw.min_version ?? 'TLSv1.2',
    requireClientCertificate: raw.require_client_certificate ?? true,
  };
}

function buildLimits(raw: NonNullable<RawProfile['limits']>): Limits {
  const message = raw.message ?? {};
  const d = DEFAULT_MESSAGE_LIMITS;
  const transport = { ...TRANSPORT_LIMIT_DEFAULTS, ...raw.transport };
  const fair = { ...FAIR_SHARE_DEFAULTS, ...raw.fair_share };
  return {
    message: {
      maxMessageBytes: message.max_message_bytes ?? d.maxMessageBytes,
      maxHeaders: message.max_headers ?? d.maxHeaders,
      maxHeaderBytes: message.max_header_bytes ?? d.maxHeaderBytes,
      maxParamsPerHeader: message.max_params_per_header ?? d.maxParamsPerHeader,
      maxListEntries: message.max_list_entries ?? d.maxListEntries,
      maxSdpLines: message.max_sdp_lines ?? d.maxSdpLines,
      maxSdpMedia: message.max_sdp_media ?? d.maxSdpMedia,
      maxBodyParts: message.max_body_parts ?? d.maxBodyParts,
      maxMultipartDepth: message.max_multipart_depth ?? d.maxMultipartDepth,
    },
    transport: {
      maxConnections: transport.max_connections,
      maxConnectionsPerSource: transport.max_connections_per_source,
      headerDeadlineMs: transport.header_deadline_ms,
      idleTimeoutMs: transport.idle_timeout_ms,
      maxWriteQueueBytes: transport.max_write_queue_bytes,
    },
    fairShare: { queuePerPeer: fair.queue_per_peer, queueUnknown: fair.queue_unknown, retryAfterS: fair.retry_after_s },
  };
}

function buildConsent(raw: RawConsentRecord): ConsentRecord {
  return { allow: [...(raw.allow ?? [])], deny: [...(raw.deny ?? [])], ...(raw.apps_only === undefined ? {} : { appsOnly: [...raw.apps_only] }) };
}

function listenSpec(text: string): ListenSpec {
  const parsed = parseListenSpec(text);
  if (!parsed.ok) {
    // semanticProblems already refused it; reaching here is a bug in this module.
    throw new Error(`unchecked listen entry ${JSON.stringify(text)}: ${parsed.reason}`);
  }
  return parsed.spec;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) {
      deepFreeze(inner);
    }
    Object.freeze(value);
  }
  return value;
}
