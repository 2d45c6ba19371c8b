import type { Profile } from '../profile/profile-types.ts';

/**
 * The parts of a profile a running guard cannot take on a reload: its sockets, its TLS files,
 * its state store and its admin listener are opened once, at start. A reload that changes one
 * of them keeps the running value, and the guard says which keys wait for a restart.
 */
const FIXED_AT_START: readonly { readonly key: string; readonly of: (p: Profile) => unknown }[] = [
  { key: 'sip.listen', of: (p) => p.sip.listen },
  { key: 'sip.tls', of: (p) => p.sip.tls },
  { key: 'state', of: (p) => p.state },
  { key: 'admin', of: (p) => p.admin },
];

/** Keys whose change in `next` only a restart puts in force (empty: the reload takes all of it). */
export function keysNeedingRestart(running: Profile, next: Profile): string[] {
  return FIXED_AT_START.filter(({ of }) => JSON.stringify(of(running)) !== JSON.stringify(of(next))).map(({ key }) => key);
}

/** `next` with the start-only keys of `running`: what a reload puts in force. */
export function reloadedProfile(running: Profile, next: Profile): Profile {
  return Object.freeze({
    ...next,
    sip: Object.freeze({ ...next.sip, listen: running.sip.listen, tls: running.sip.tls }),
    state: running.state,
    admin: running.admin,
  });
}
