import t from 'tap';
import { answerReceived, awaitedOffer, lastSent, offerClosed, sentOffer, sentOtherSdp, STABLE_EMPTY } from '../../src/call/leg-negotiation.ts';
import type { LegDraft } from '../../src/call/call-draft.ts';
import type { SentOffer } from '../../src/state/call-state.ts';

function leg(session: string | null = 'S0'): LegDraft {
  return {
    peerId: 'weather-as',
    trusted: false,
    identity: 'anonymous',
    target: 'sip:127.0.0.3:5060',
    sourceAddress: null,
    sourceUri: null,
    callId: 'c',
    localTag: 't',
    remoteTag: null,
    localUri: '<sip:a@x>',
    remoteUri: '<sip:b@y>',
    remoteTarget: 'sip:127.0.0.3:5060',
    routeSet: [],
    localCseq: 1,
    inviteCseq: 1,
    inviteCseqIn: null,
    sdpSent: null,
    negotiation: session === null ? STABLE_EMPTY : { state: 'stable', session },
  };
}

const OFFER: SentOffer = { sdp: 'O1', answerIn: { kind: 'response', cseq: 2, method: 'INVITE' }, created: [], openedMedia: [] };

t.test('an offer sent: the answer is awaited in the responses to its request only, and the offer is the baseline until answered', async (t) => {
  const l = leg();
  sentOffer(l, OFFER);
  t.equal(lastSent(l), 'O1');
  t.equal(awaitedOffer(l, { cseq: 2, method: 'INVITE' }), OFFER);
  t.equal(awaitedOffer(l, { cseq: 3, method: 'INVITE' }), null, 'another CSeq answers nothing');
  t.equal(awaitedOffer(l, { cseq: 2, method: 'UPDATE' }), null, 'nor another method');
  t.equal(awaitedOffer(l, 'ack-or-prack'), null, 'nor an ACK');
});

t.test('an early answer keeps the offer for the final response; the agreed session is the baseline', async (t) => {
  const l = leg();
  sentOffer(l, OFFER);
  answerReceived(l, 'A1', false);
  t.same(l.negotiation, { state: 'offer-sent', session: 'A1', offer: OFFER, answered: true });
  t.equal(lastSent(l), 'A1');
  offerClosed(l, 200);
  t.same(l.negotiation, { state: 'stable', session: 'A1' }, 'a 2xx without SDP after it: the early answer stands');
});

t.test('a refused offer leaves the session as it was (RFC 3264 8), or as the guard set it since (glare)', async (t) => {
  const refused = leg();
  sentOffer(refused, OFFER);
  offerClosed(refused, 488);
  t.same(refused.negotiation, { state: 'stable', session: 'S0' });
  const glare = leg();
  sentOffer(glare, OFFER);
  sentOtherSdp(glare, 'G1');
  offerClosed(glare, 491);
  t.same(glare.negotiation, { state: 'stable', session: 'G1' });
});

t.test('a final answer, or one in an ACK, ends the offer; an unanswered 2xx leaves the offer as sent', async (t) => {
  const answered = leg();
  sentOffer(answered, { ...OFFER, answerIn: { kind: 'ack-or-prack' } });
  t.not(awaitedOffer(answered, 'ack-or-prack'), null);
  answerReceived(answered, null, true);
  t.same(answered.negotiation, { state: 'stable', session: 'O1' }, 'no agreed session known: the offer as sent');
  const unanswered = leg(null);
  sentOffer(unanswered, OFFER);
  offerClosed(unanswered, 200);
  t.same(unanswered.negotiation, { state: 'stable', session: 'O1' });
  offerClosed(unanswered, 200);
  t.same(unanswered.negotiation, { state: 'stable', session: 'O1' }, 'a stable leg is left alone');
});
