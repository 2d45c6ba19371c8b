/**
 * The answer the guard writes on a peer's behalf when it cannot verify the peer's own
 * (fail-closed, untrusted answerer): an answer with as many m-lines as the offer it answers,
 * in the same order (RFC 3264 section 6), each DC m-line refused with port 0.
 *
 * - A readable answer whose m-line count differs from the offer: each non-DC m-line the answer
 *   has at the same index, with the same media type, is kept as the peer wrote it; every other
 *   m-line of the offer is refused. Lines past the offer's count are dropped.
 * - An answer the guard cannot read at all: every m-line is refused. Its audio cannot be told
 *   from a data channel hidden in text the guard does not understand, so nothing of it passes;
 *   the dialog stands and either side may offer again.
 */
import type { SdpDoc } from './sdp-doc.ts';
import { docOf } from './sdp-doc-view.ts';
import type { SdpView } from './sdp-types.ts';

export interface RefusingAnswerContext {
  /** Host the guard writes into `o=` and `c=` of an answer it builds from nothing. */
  readonly address: string;
  readonly addrType: 'IP4' | 'IP6';
}

export function answerRefusingDc(offer: SdpView, answer: SdpView | null, ctx: RefusingAnswerContext): string {
  const offerDoc = docOf(offer);
  const eol = '\r\n';
  if (answer === null) {
    const lines = [
      'v=0',
      `o=- ${offer.origin?.sessionId ?? '0'} 1 IN ${ctx.addrType} ${ctx.address}`,
      's=-',
      `c=IN ${ctx.addrType} ${ctx.addrType === 'IP6' ? '::' : '0.0.0.0'}`,
      't=0 0',
      ...offerDoc.media.map((media) => refusedMLine(offerDoc, media.line)),
    ];
    return lines.join(eol) + eol;
  }
  const answerDoc = docOf(answer);
  const firstMedia = answerDoc.media[0]?.line ?? answerDoc.texts.length;
  let out = joinLines(answerDoc, 0, firstMedia);
  for (const media of offerDoc.media) {
    const answered = answerDoc.media[media.index];
    if (answered !== undefined && !media.isDc && !answered.isDc && answered.type === media.type) {
      out += joinLines(answerDoc, answered.line, answered.end);
    } else {
      out = endLine(out, eol);
      out += refusedMLine(offerDoc, media.line) + eol;
    }
  }
  return out;
}

/** `m=<media> 0 <proto> <fmt ...>` for the offer's m-line: a refused stream keeps its fmt list (RFC 3264 6). */
function refusedMLine(doc: SdpDoc, line: number): string {
  const fields = (doc.texts[line] ?? 'm=application 0 UDP/DTLS/SCTP webrtc-datachannel').slice(2).split(/[ \t]+/);
  const [type = 'application', , proto = 'UDP/DTLS/SCTP', ...fmts] = fields;
  return `m=${type} 0 ${proto} ${fmts.length === 0 ? '*' : fmts.join(' ')}`;
}

/** A kept section whose last line had no line ending gets one before the next line is added. */
function endLine(text: string, eol: string): string {
  return text.length === 0 || text.endsWith('\n') || text.endsWith('\r') ? text : text + eol;
}

function joinLines(doc: SdpDoc, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i += 1) {
    out += (doc.texts[i] ?? '') + (doc.eols[i] ?? '');
  }
  return out;
}
