import type { PeerGrants } from '../profile/profile-types.ts';

/**
 * The party on whose behalf a message acts: the peer it came from, or the AS a trusted
 * peer names in the initiator header. Unknown parties have no grants at all.
 */
export interface Actor {
  readonly id: string;
  readonly trusted: boolean;
  readonly grants: PeerGrants;
}

export const NO_GRANTS: PeerGrants = Object.freeze({
  bootstrap: false,
  apps: Object.freeze([]),
  maxChannels: 0,
  maxBandwidthKbps: 0,
  modify: 'none',
  terminate: false,
  capabilities: false,
});
