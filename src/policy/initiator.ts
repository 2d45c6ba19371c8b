/**
 * On whose behalf a request acts. A trusted peer (an S-CSCF relaying an AS's request) may name
 * the AS in the profile's initiator header; the guard then polices the request as that AS's.
 * From anyone else the header is ignored: an AS cannot borrow another's grants by naming it.
 */
import type { Peer } from '../profile/profile-types.ts';
import { NO_GRANTS, type Actor } from './actor.ts';
import type { Reason } from './reason.ts';
import { actorOf, type Sender } from './sender.ts';

export interface InitiatorFacts {
  readonly sender: Sender;
  /** The initiator header's name (`guard.initiator_header`) and its value on the request, if any. */
  readonly header: string;
  readonly named: string | undefined;
  readonly peers: { byId(id: string): Peer | undefined };
}

export function initiatorOf(facts: InitiatorFacts): { readonly actor: Actor; readonly reasons: readonly Reason[] } {
  const { sender } = facts;
  const named = facts.named?.trim();
  if (named === undefined || named === '') {
    return { actor: sender.actor, reasons: [] };
  }
  if (!sender.actor.trusted) {
    return { actor: sender.actor, reasons: [{ code: 'initiator.ignored', peer: sender.label, detail: `${facts.header} from an untrusted peer` }] };
  }
  const peer = facts.peers.byId(named);
  if (peer === undefined) {
    return { actor: { id: `unknown:${named}`, trusted: false, grants: NO_GRANTS }, reasons: [{ code: 'initiator.unknown', detail: named }] };
  }
  return { actor: actorOf(peer), reasons: [] };
}
