/**
 * RFC 3262 across drachtio-server. drachtio-server writes its own RSeq on every reliable
 * provisional an application sends (an application cannot set it), so the RSeq the caller sees
 * is not the one the callee sent, and the caller's PRACK names drachtio-server's number in its
 * RAck. Passed on unchanged, it would be refused by a strict callee (481, the 18x retransmitted
 * until it gives up, RFC 3262 4). This map notes, per upstream dialog, which RSeq drachtio-server
 * sent for which of the callee's, and puts the callee's back into the RAck. The embedded stack
 * sends the callee's RSeq itself and needs none of this.
 */

/** Reliable provisionals remembered at most (the oldest go first): they live for one INVITE each. */
const MAX_ENTRIES = 10_000;

export class RSeqMap {
  /** `<upstream Call-ID> <RSeq drachtio-server sent>` -> the RSeq the callee sent. */
  readonly #calleeRSeq = new Map<string, string>();

  /** A reliable provisional went upstream: `sentRaw` is it as drachtio-server sent it, `calleeRSeq` the RSeq it came with. */
  note(callId: string, sentRaw: string | undefined, calleeRSeq: string | undefined): void {
    const sent = sentRaw === undefined ? undefined : /^RSeq[ \t]*:[ \t]*([0-9]{1,10})[ \t]*$/im.exec(sentRaw)?.[1];
    if (sent === undefined || calleeRSeq === undefined || !/^[0-9]{1,10}$/.test(calleeRSeq.trim())) {
      return;
    }
    if (this.#calleeRSeq.size >= MAX_ENTRIES) {
      const oldest = this.#calleeRSeq.keys().next().value;
      if (oldest !== undefined) {
        this.#calleeRSeq.delete(oldest);
      }
    }
    this.#calleeRSeq.set(`${callId} ${sent}`, calleeRSeq.trim());
  }

  /** The RAck of a PRACK on the upstream dialog `callId` with the callee's RSeq in it; unknown numbers stay as they are. */
  rack(callId: string, rack: string): string {
    const m = /^[ \t]*([0-9]{1,10})([ \t]+.*)$/.exec(rack);
    if (m === null) {
      return rack;
    }
    const callee = this.#calleeRSeq.get(`${callId} ${m[1] ?? ''}`);
    return callee === undefined ? rack : `${callee}${m[2] ?? ''}`;
  }
}
