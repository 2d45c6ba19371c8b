/**
 * Which way a message crosses the call: `down` from the caller's side toward the callee's (the
 * dialog-creating request and what follows it), `up` the other way (its responses, the callee's
 * requests). Every hop's upstream leg faces the caller's side.
 */
export type Flow = 'down' | 'up';

/** What a pseudonym stands for: kept per call so it maps back to exactly what it replaced. */
export interface IssuedIdentity {
  readonly uri: string;
  readonly displayName: string | null;
  /**
   * The ways it was handed to the AS. It maps back only on a message going the same way: an AS
   * relays the identities it was given, it does not turn the caller's pseudonym into the callee's
   * asserted identity in its own 200.
   */
  readonly flows: readonly Flow[];
  /**
   * The ways it was handed out as an asserted identity (P-Asserted-Identity and its kin): only
   * those map back into one. The callee's Request-URI or a History-Info entry the AS was shown
   * is no assertion it may make.
   */
  readonly assertedFlows: readonly Flow[];
}

/** Pseudonym URI -> identity, for one call. Plain data: it is stored with the call. */
export type IssuedIdentities = Record<string, IssuedIdentity>;
