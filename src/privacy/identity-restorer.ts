import type { SipHeader, SipMessage } from '../sip/sip-message.ts';
import { withoutTag } from '../sip/dialog-tags.ts';
import { formatNameAddr, parseNameAddr } from '../sip/name-addr.ts';
import { appendHeader, getHeader, getHeaderValues, removeHeader, setHeader } from '../sip/sip-headers.ts';
import { ASSERTED_IDENTITY_HEADERS, RESTORABLE_HEADERS, URI_IDENTITY_HEADERS } from './identity-headers.ts';
import type { Flow, IssuedIdentities, IssuedIdentity } from './issued-identity.ts';
import { ANONYMOUS_URI } from './pseudonymizer.ts';

/**
 * The identities of a dialog-creating request as the trusted side sent them, before they
 * were shielded toward an untrusted AS: put back when the AS's onward request returns.
 */
export interface IdentityOriginals {
  readonly requestUri: string;
  /** From and To without their tag parameter: the guard writes its own tags. */
  readonly from: string;
  readonly to: string;
  readonly headers: readonly SipHeader[];
}

export function captureOriginals(msg: SipMessage & { kind: 'request' }): IdentityOriginals {
  const restorable = new Set<string>(RESTORABLE_HEADERS);
  return {
    requestUri: msg.uri,
    from: withoutTag(getHeader(msg, 'From') ?? ''),
    to: withoutTag(getHeader(msg, 'To') ?? ''),
    headers: msg.headers.filter((h) => restorable.has(h.name)),
  };
}

export interface RestoreContext {
  /** The pseudonyms issued in this call and what they stand for. */
  readonly issued: Readonly<IssuedIdentities>;
  /** Present when the message is an untrusted AS's onward request for a call the guard handed it. */
  readonly originals: IdentityOriginals | null;
  /** Which way the message crosses the call: only pseudonyms handed to the AS that way map back. */
  readonly flow: Flow;
}

/**
 * Maps a message from an untrusted peer back to real identities before it enters the trust
 * domain. Whatever the peer asserted itself is dropped (RFC 3325 9.1); identities it was given
 * come back as they were. Mutates `msg`.
 */
export function restoreIdentities(msg: SipMessage, ctx: RestoreContext): void {
  const mapBack = (uri: string): IssuedIdentity | undefined => {
    const issued = ctx.issued[uri];
    return issued !== undefined && issued.flows.includes(ctx.flow) ? issued : undefined;
  };
  const mapBackAsserted = (uri: string): IssuedIdentity | undefined => {
    const issued = ctx.issued[uri];
    return issued !== undefined && issued.assertedFlows.includes(ctx.flow) ? issued : undefined;
  };
  if (ctx.originals !== null && msg.kind === 'request') {
    restoreFromOriginals(msg, ctx.originals, mapBack);
    return;
  }
  if (msg.kind === 'request') {
    const real = mapBack(msg.uri);
    if (real !== undefined) {
      msg.uri = real.uri;
    }
  }
  for (const name of ASSERTED_IDENTITY_HEADERS) {
    // Only an assertion the trust domain itself made, handed back the way it went, survives.
    mapValues(msg, name, mapBackAsserted, true);
  }
  // History-Info, Diversion, P-Called-Party-ID, P-Served-User assert identities too: an
  // untrusted peer's own values of them are dropped like its P-Asserted-Identity.
  for (const name of URI_IDENTITY_HEADERS) {
    mapValues(msg, name, mapBack, true);
  }
}

function restoreFromOriginals(
  msg: SipMessage & { kind: 'request' },
  originals: IdentityOriginals,
  mapBack: (uri: string) => IssuedIdentity | undefined,
): void {
  // The AS may retarget the call (a new Request-URI of its own); a pseudonym or the anonymous
  // URI it was given is the original target.
  if (msg.uri === ANONYMOUS_URI || mapBack(msg.uri) !== undefined) {
    msg.uri = originals.requestUri;
  }
  setHeader(msg, 'From', withTagOf(originals.from, getHeader(msg, 'From')));
  setHeader(msg, 'To', withTagOf(originals.to, getHeader(msg, 'To')));
  for (const name of RESTORABLE_HEADERS) {
    removeHeader(msg, name);
  }
  for (const header of originals.headers) {
    appendHeader(msg, header.name, header.value);
  }
}

function mapValues(msg: SipMessage, name: string, mapBack: (uri: string) => IssuedIdentity | undefined, dropUnmapped: boolean): void {
  const values = getHeaderValues(msg, name);
  if (values.length === 0) {
    return;
  }
  const kept: string[] = [];
  for (const value of values) {
    let addr;
    try {
      addr = parseNameAddr(value);
    } catch {
      continue;
    }
    const real = mapBack(addr.uri);
    if (real !== undefined) {
      kept.push(formatNameAddr({ ...addr, uri: real.uri, displayName: real.displayName ?? addr.displayName }));
    } else if (!dropUnmapped) {
      kept.push(value);
    }
  }
  if (kept.length === 0) {
    removeHeader(msg, name);
  } else {
    setHeader(msg, name, kept.join(', '));
  }
}

/** Keeps the tag the message carries (the AS's dialog), with the original party in front of it. */
function withTagOf(original: string, current: string | undefined): string {
  if (current === undefined) {
    return original;
  }
  try {
    const tag = parseNameAddr(current).params.find(([name]) => name.toLowerCase() === 'tag');
    if (tag === undefined) {
      return original;
    }
    const addr = parseNameAddr(original);
    return formatNameAddr({ ...addr, params: [...addr.params, tag] });
  } catch {
    return original;
  }
}
