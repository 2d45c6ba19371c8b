/** What a pseudonym stands for: kept per call so it maps back to exactly what it replaced. */
export interface IssuedIdentity {
  readonly uri: string;
  readonly displayName: string | null;
}

/** Pseudonym URI -> identity, for one call. Plain data: it is stored with the call. */
export type IssuedIdentities = Record<string, IssuedIdentity>;
