/**
 * Transaction timer values (RFC 3261 17 and Table 4 in Appendix A; RFC 6026 Table 1 for L and
 * M), all derived from T1, T2 and T4 in this one place.
 *
 * On a reliable transport (TCP) nothing is retransmitted (17.1.1.2, 17.1.2.2, 17.2.1, 17.2.2:
 * A, E and G are not set) and the "wait for retransmissions" timers D, I, J and K are zero.
 * B, F and H still run on TCP (they bound waiting for the far end, not for the network), and so
 * do L and M (RFC 6026 7.1, 7.2).
 */

export interface TimerBase {
  /** RTT estimate, default 500 ms (17.1.1.1). */
  readonly T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  readonly T2: number;
  /** Maximum time a message stays in the network, default 5 s. */
  readonly T4: number;
}

export const DEFAULT_TIMER_BASE: TimerBase = { T1: 500, T2: 4_000, T4: 5_000 };

export interface TransactionTimers extends TimerBase {
  /** INVITE request retransmit interval, first value; doubles each time (17.1.1.2). null: reliable. */
  readonly A: number | null;
  /** INVITE transaction timeout: 64*T1 (17.1.1.2). */
  readonly B: number;
  /** Wait time for response retransmits in client INVITE Completed: >= 32 s UDP, 0 TCP (17.1.1.2). */
  readonly D: number;
  /** Non-INVITE request retransmit interval, first value; doubles up to T2 (17.1.2.2). null: reliable. */
  readonly E: number | null;
  /** Non-INVITE transaction timeout: 64*T1 (17.1.2.2). */
  readonly F: number;
  /** INVITE final (non-2xx) response retransmit interval, first value; doubles up to T2 (17.2.1). null: reliable. */
  readonly G: number | null;
  /** Wait time for ACK receipt: 64*T1 (17.2.1). */
  readonly H: number;
  /** Wait time for ACK retransmits: T4 UDP, 0 TCP (17.2.1). */
  readonly I: number;
  /** Wait time for non-INVITE request retransmits: 64*T1 UDP, 0 TCP (17.2.2). */
  readonly J: number;
  /** Wait time for non-INVITE response retransmits: T4 UDP, 0 TCP (17.1.2.2). */
  readonly K: number;
  /** Wait time for accepted INVITE request retransmits (and for the 2xx's ACK): 64*T1 (RFC 6026 7.1). */
  readonly L: number;
  /** Wait time for retransmission of 2xx to INVITE (and forked 2xx): 64*T1 (RFC 6026 7.2). */
  readonly M: number;
  /** 2xx-to-INVITE retransmit interval, first value; doubles up to T2 (13.3.1.4). null: reliable. */
  readonly ok2xx: number | null;
}

/** Refuses base values that would make timers fire in a tight loop or never. */
function checkBase(base: TimerBase): void {
  for (const [name, v] of Object.entries(base)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`timer ${name} must be a positive number of milliseconds, got ${String(v)}`);
    }
  }
  if (base.T2 < base.T1) {
    throw new RangeError(`T2 (${base.T2}) must not be below T1 (${base.T1})`);
  }
}

/** T1/T2/T4 with defaults filled in and checked. */
export function timerBase(overrides: Partial<TimerBase> = {}): TimerBase {
  const base: TimerBase = {
    T1: overrides.T1 ?? DEFAULT_TIMER_BASE.T1,
    T2: overrides.T2 ?? DEFAULT_TIMER_BASE.T2,
    T4: overrides.T4 ?? DEFAULT_TIMER_BASE.T4,
  };
  checkBase(base);
  return base;
}

/** The timers of one transaction over a reliable (TCP) or unreliable (UDP) transport. */
export function transactionTimers(base: TimerBase, reliable: boolean): TransactionTimers {
  const { T1, T2, T4 } = base;
  const sixtyFour = 64 * T1;
  return {
    T1,
    T2,
    T4,
    A: reliable ? null : T1,
    B: sixtyFour,
    // "at least 32 seconds" (17.1.1.2), and at least 64*T1 so a larger T1 still covers the
    // server's Timer H period of final-response retransmissions.
    D: reliable ? 0 : Math.max(32_000, sixtyFour),
    E: reliable ? null : T1,
    F: sixtyFour,
    G: reliable ? null : T1,
    H: sixtyFour,
    I: reliable ? 0 : T4,
    J: reliable ? 0 : sixtyFour,
    K: reliable ? 0 : T4,
    L: sixtyFour,
    M: sixtyFour,
    ok2xx: reliable ? null : T1,
  };
}

/**
 * Both variants precomputed: transactions pick one per message instead of building an object
 * each time (1,000 calls/s create several transactions each).
 */
export interface TimerTable {
  readonly udp: TransactionTimers;
  readonly tcp: TransactionTimers;
}

export function timerTable(overrides: Partial<TimerBase> = {}): TimerTable {
  const base = timerBase(overrides);
  return { udp: transactionTimers(base, false), tcp: transactionTimers(base, true) };
}
