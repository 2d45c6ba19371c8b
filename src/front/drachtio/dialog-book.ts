/**
 * What the drachtio front end must remember about drachtio-server's own state, keyed by the
 * controller's identifiers of a leg (Call-ID and the guard's tag on it), which drachtio-server
 * shares because the front end hands it those identifiers:
 *
 * - the drachtio-server dialog of a leg, while it exists, so that in-dialog requests go out
 *   inside it (its route set, its CSeq) and drachtio-server tears it down when the BYE is done;
 * - the ACK function drachtio-srf gave with each 2xx to an INVITE, used when the controller
 *   relays the ACK (drachtio-server ACKs every other final response itself);
 * - the INVITEs in progress, which a relayed CANCEL cancels;
 * - the To tag of the first 2xx to each INVITE, and for each later 2xx with another To tag (a
 *   fork, RFC 3261 13.2.2.4) its ACK function and drachtio-server dialog, which the guard's own
 *   ACK and BYE of that fork use (the first 2xx's dialog and ACK stay the call's).
 *
 * Entries are dropped when their dialog or transaction ends; each map is also capped, oldest
 * first, so a peer that never finishes a dialog cannot grow them without bound.
 */
export class DialogBook<Ack, Invite> {
  readonly #dialogs = new Map<string, string>();
  readonly #acks = new Map<string, Ack>();
  readonly #invites = new Map<string, Invite>();
  readonly #answered = new Map<string, { seq: number; remoteTag: string }>();
  readonly #forks = new Map<string, { ack: Ack; dialogId: string | undefined }>();
  readonly #cap: number;

  constructor(cap = 50_000) {
    this.#cap = cap;
  }

  dialogOf(callId: string, localTag: string | null): string | undefined {
    return localTag === null ? undefined : this.#dialogs.get(legKey(callId, localTag));
  }

  noteDialog(callId: string, localTag: string | null, dialogId: string | undefined): void {
    if (localTag !== null && dialogId !== undefined && dialogId !== '') {
      capped(this.#dialogs, legKey(callId, localTag), dialogId, this.#cap);
    }
  }

  /** drachtio-server has dropped the dialog (a BYE arrived or completed in it, or it said so). */
  forgetDialog(callId: string, localTag: string | null): void {
    if (localTag !== null) {
      this.#dialogs.delete(legKey(callId, localTag));
      this.#answered.delete(legKey(callId, localTag));
    }
  }

  noteAck(callId: string, localTag: string | null, seq: number, ack: Ack): void {
    if (localTag !== null) {
      capped(this.#acks, txnKey(callId, localTag, seq), ack, this.#cap);
    }
  }

  takeAck(callId: string, localTag: string | null, seq: number): Ack | undefined {
    if (localTag === null) {
      return undefined;
    }
    const key = txnKey(callId, localTag, seq);
    const ack = this.#acks.get(key);
    this.#acks.delete(key);
    return ack;
  }

  noteInvite(callId: string, localTag: string | null, seq: number, invite: Invite): void {
    if (localTag !== null) {
      capped(this.#invites, txnKey(callId, localTag, seq), invite, this.#cap);
    }
  }

  inviteOf(callId: string, localTag: string | null, seq: number): Invite | undefined {
    return localTag === null ? undefined : this.#invites.get(txnKey(callId, localTag, seq));
  }

  forgetInvite(callId: string, localTag: string | null, seq: number): void {
    if (localTag !== null) {
      this.#invites.delete(txnKey(callId, localTag, seq));
    }
  }

  /**
   * A 2xx with To tag `remoteTag` to the INVITE `seq` on the leg: true when it is the first (or
   * that one again), false when another fork answered first.
   */
  noteAnswer(callId: string, localTag: string | null, seq: number, remoteTag: string | null): boolean {
    if (localTag === null) {
      return true;
    }
    const key = legKey(callId, localTag);
    const first = this.#answered.get(key);
    if (first === undefined || first.seq !== seq) {
      capped(this.#answered, key, { seq, remoteTag: remoteTag ?? '' }, this.#cap);
      return true;
    }
    return first.remoteTag === (remoteTag ?? '');
  }

  noteFork(callId: string, localTag: string | null, remoteTag: string | null, ack: Ack, dialogId: string | undefined): void {
    if (localTag !== null) {
      capped(this.#forks, forkKey(callId, localTag, remoteTag), { ack, dialogId }, this.#cap);
    }
  }

  /** A later fork's ACK function and dialog, while the guard has not ended it. */
  forkOf(callId: string, localTag: string | null, remoteTag: string | null): { ack: Ack; dialogId: string | undefined } | undefined {
    return localTag === null ? undefined : this.#forks.get(forkKey(callId, localTag, remoteTag));
  }

  forgetFork(callId: string, localTag: string | null, remoteTag: string | null): void {
    if (localTag !== null) {
      this.#forks.delete(forkKey(callId, localTag, remoteTag));
    }
  }

  get size(): { dialogs: number; acks: number; invites: number } {
    return { dialogs: this.#dialogs.size, acks: this.#acks.size, invites: this.#invites.size };
  }
}

function legKey(callId: string, localTag: string): string {
  return `${callId}\n${localTag}`;
}

function txnKey(callId: string, localTag: string, seq: number): string {
  return `${callId}\n${localTag}\n${seq}`;
}

function forkKey(callId: string, localTag: string, remoteTag: string | null): string {
  return `${callId}\n${localTag}\n~${remoteTag ?? ''}`;
}

function capped<V>(map: Map<string, V>, key: string, value: V, cap: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > cap) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) {
      map.delete(oldest);
    }
  }
}
