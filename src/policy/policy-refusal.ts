import type { Reason } from './reason.ts';

/** A request refused by an admission rule: the status, why, and the headers the answer needs (Retry-After, Unsupported...). */
export interface PolicyRefusal {
  readonly status: number;
  readonly reasons: readonly Reason[];
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}
