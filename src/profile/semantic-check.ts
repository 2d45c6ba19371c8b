/**
 * Checks the schema cannot express: unique peer ids, real CIDRs claimed once, listen
 * addresses and SIP URIs that parse, consent entries that name defined peers, one consent
 * record per user however its identity is spelled, pass_headers that do not undo what the
 * guard does to headers itself.
 * Runs only on data the schema accepted.
 */
import { parseCidr } from './cidr.ts';
import { parseListenSpec } from './listen-spec.ts';
import type { ProfileProblem } from './profile-error.ts';
import { pathText } from './profile-source.ts';
import type { ProfilePath, ProfileSource } from './profile-source.ts';
import type { RawPeer, RawProfile } from './raw-profile.ts';
import { normaliseIdentity } from '../sip/normalise-identity.ts';
import { sipUriProblem } from './sip-uri-syntax.ts';
import { GUARD_OWNED_HEADERS, headerKey } from '../privacy/header-allow-list.ts';

export function semanticProblems(raw: RawProfile, source: ProfileSource): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const report = (path: ProfilePath, reason: string): void => {
    problems.push({ line: source.lineOf(path), reason: `${pathText(path)}: ${reason}` });
  };

  checkListen(raw.sip?.listen ?? [], source, report);
  checkSelfAddress(raw, report);
  for (const key of ['next_hop', 'public_uri'] as const) {
    const uri = raw.sip?.[key];
    const problem = typeof uri === 'string' ? sipUriProblem(uri) : undefined;
    if (problem !== undefined) {
      report(['sip', key], problem);
    }
  }

  checkTlsNeeded(raw, report);
  checkPassHeaders(raw, source, report);

  const peers = raw.peers ?? [];
  checkPeers(peers, source, report);

  const peerIds = [...new Set(peers.map((peer) => peer.id))];
  // `tel:+1-555-000-1111` and `sip:+15550001111@host;user=phone` are one user: two records for
  // one user would silently merge, the later one winning.
  const usersSeen = new Map<string, string>();
  for (const [user, record] of Object.entries(raw.consent?.users ?? {})) {
    const identity = normaliseIdentity(user);
    const first = usersSeen.get(identity);
    if (first === undefined) {
      usersSeen.set(identity, user);
    } else {
      report(['consent', 'users', user], `the same user as ${JSON.stringify(first)} (line ${source.lineOf(['consent', 'users', first])}): write one record`);
    }
    for (const list of ['allow', 'deny'] as const) {
      (record[list] ?? []).forEach((entry, index) => {
        const peerId = entry.split(':', 1)[0] ?? entry;
        if (!peerIds.includes(peerId)) {
          const defined = peerIds.length === 0 ? 'no peers are defined' : `peers: ${peerIds.join(', ')}`;
          report(['consent', 'users', user, list, index], `unknown peer ${JSON.stringify(peerId)} (${defined})`);
        }
      });
    }
  }

  // Stable: problems on the same line keep the order they were found in.
  return problems.map((problem, order) => ({ problem, order })).sort((a, b) => a.problem.line - b.problem.line || a.order - b.order).map(({ problem }) => problem);
}

type Report = (path: ProfilePath, reason: string) => void;

/**
 * Without `sip.public_uri` the guard names itself (Via, Contact, Record-Route) by its first
 * listen entry: a wildcard address there would tell every peer to send to `0.0.0.0`.
 */
function checkSelfAddress(raw: RawProfile, report: Report): void {
  const first = raw.sip?.listen?.[0];
  if (first === undefined || (raw.sip?.public_uri ?? null) !== null) {
    return;
  }
  const parsed = parseListenSpec(first);
  if (parsed.ok && /^(0\.0\.0\.0|::|0:0:0:0:0:0:0:0)$/.test(parsed.spec.host)) {
    report(['sip', 'listen', 0], `listens on every address (${parsed.spec.host}), which names no address a peer can reach: set sip.public_uri to the guard's own`);
  }
}

function checkListen(listen: readonly string[], source: ProfileSource, report: Report): void {
  const seen = new Map<string, number>();
  listen.forEach((entry, index) => {
    const path = ['sip', 'listen', index];
    const parsed = parseListenSpec(entry);
    if (!parsed.ok) {
      report(path, parsed.reason);
      return;
    }
    const key = `${parsed.spec.transport}:${parsed.spec.host.toLowerCase()}:${parsed.spec.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      report(path, `duplicate listen entry ${JSON.stringify(entry)} (first at line ${source.lineOf(['sip', 'listen', first])})`);
      return;
    }
    seen.set(key, index);
  });
}

/** True for a sips: URI or one with transport=tls: the guard may reach it only over TLS (RFC 3261 26.2, RFC 5630). */
function needsTls(uri: string): boolean {
  return /^sips:/i.test(uri) || /;transport=tls(?=[;?>]|$)/i.test(uri);
}

/** A profile that asks for TLS anywhere must say how (sip.tls): never cleartext to a sips: peer. */
function checkTlsNeeded(raw: RawProfile, report: Report): void {
  (raw.peers ?? []).forEach((peer, p) => {
    // Its answers and requests count only over TLS with its certificate: a cleartext uri
    // would send it requests whose answers the guard could never take as its own.
    if (peer.match?.certificate !== undefined && typeof peer.uri === 'string' && !needsTls(peer.uri)) {
      report(['peers', p, 'uri'], `a peer matched by certificate is reached over TLS only: write "sips:..." or ";transport=tls" (got ${JSON.stringify(peer.uri)})`);
    }
  });
  if (raw.sip?.tls !== undefined && raw.sip.tls !== null) {
    return;
  }
  (raw.sip?.listen ?? []).forEach((entry, index) => {
    if (entry.startsWith('tls:')) {
      report(['sip', 'listen', index], 'a tls listen entry needs sip.tls (certificate, key, ca)');
    }
  });
  for (const key of ['next_hop', 'public_uri'] as const) {
    const uri = raw.sip?.[key];
    if (typeof uri === 'string' && needsTls(uri)) {
      report(['sip', key], `${JSON.stringify(uri)} is reached over TLS only; configure sip.tls (certificate, key, ca)`);
    }
  }
  (raw.peers ?? []).forEach((peer, p) => {
    if (typeof peer.uri === 'string' && needsTls(peer.uri)) {
      report(['peers', p, 'uri'], `${JSON.stringify(peer.uri)} is reached over TLS only; configure sip.tls (certificate, key, ca)`);
    }
    if (peer.match?.certificate !== undefined) {
      report(['peers', p, 'match', 'certificate'], 'a peer matched by certificate needs sip.tls (certificate, key, ca) and a tls listen entry');
    }
  });
}

/**
 * privacy.pass_headers may add headers to the allow-lists, not take over the ones the guard
 * writes, rewrites or always removes: those would silently do nothing or undo a protection.
 * Names are compared as SIP compares them, case-insensitively with compact forms expanded
 * (RFC 3261 7.3.1, 7.3.3).
 */
function checkPassHeaders(raw: RawProfile, source: ProfileSource, report: Report): void {
  const initiator = headerKey(raw.guard?.initiator_header ?? 'P-DC-Initiator');
  const seen = new Map<string, number>();
  (raw.privacy?.pass_headers ?? []).forEach((name, index) => {
    const path = ['privacy', 'pass_headers', index];
    const key = headerKey(name);
    const owned = GUARD_OWNED_HEADERS.get(key);
    if (owned !== undefined) {
      report(path, `${JSON.stringify(name)} cannot be passed: ${owned}`);
      return;
    }
    if (key === initiator) {
      report(path, `${JSON.stringify(name)} cannot be passed: it is guard.initiator_header, which the guard believes only from trusted peers and removes`);
      return;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      report(path, `duplicate header ${JSON.stringify(name)} (first at line ${source.lineOf(['privacy', 'pass_headers', first])})`);
      return;
    }
    seen.set(key, index);
  });
}

function checkPeers(peers: readonly RawPeer[], source: ProfileSource, report: Report): void {
  const firstIdAt = new Map<string, number>();
  /** Canonical CIDR -> where it was first claimed. */
  const claimed = new Map<string, { readonly peer: number; readonly source: number }>();

  peers.forEach((peer, p) => {
    const first = firstIdAt.get(peer.id);
    if (first === undefined) {
      firstIdAt.set(peer.id, p);
    } else {
      report(['peers', p, 'id'], `duplicate peer id ${JSON.stringify(peer.id)} (first at line ${source.lineOf(['peers', first, 'id'])})`);
    }

    if (typeof peer.uri === 'string') {
      const problem = sipUriProblem(peer.uri);
      if (problem !== undefined) {
        report(['peers', p, 'uri'], problem);
      }
    }

    if (peer.trusted && peer.grants !== undefined) {
      report(['peers', p, 'grants'], 'a trusted peer may already do everything; remove grants or set trusted: false');
    }

    const rate = peer.limits?.requests_per_second ?? null;
    const burst = peer.limits?.burst ?? null;
    if (burst !== null && rate === null) {
      report(['peers', p, 'limits', 'burst'], 'needs requests_per_second (burst is the bucket size of that rate)');
    }
    if (rate !== null && rate < 1 && burst === null) {
      // Without a burst the bucket holds `rate` tokens, less than one request: nothing would ever pass.
      report(['peers', p, 'limits', 'requests_per_second'], `a rate below 1 needs a burst of at least 1 (got ${rate} and no burst)`);
    }

    const sources = peer.match?.source ?? [];
    if (!peer.trusted && sources.length === 0 && peer.match?.certificate === undefined) {
      const where: ProfilePath = peer.match?.source !== undefined ? ['peers', p, 'match', 'source'] : ['peers', p];
      report(where, 'an untrusted peer needs at least one match.source CIDR or a match.certificate (it could never be recognised)');
    }
    sources.forEach((text, s) => {
      const path = ['peers', p, 'match', 'source', s];
      const parsed = parseCidr(text);
      if (!parsed.ok) {
        report(path, parsed.reason);
        return;
      }
      const owner = claimed.get(parsed.cidr.text);
      if (owner === undefined) {
        claimed.set(parsed.cidr.text, { peer: p, source: s });
        return;
      }
      const ownerLine = source.lineOf(['peers', owner.peer, 'match', 'source', owner.source]);
      if (owner.peer === p) {
        report(path, `duplicate source ${JSON.stringify(text)} (first at line ${ownerLine})`);
      } else {
        const ownerId = peers[owner.peer]?.id ?? '?';
        report(path, `${JSON.stringify(text)} is already claimed by peer ${JSON.stringify(ownerId)} (line ${ownerLine})`);
      }
    });
  });
}
