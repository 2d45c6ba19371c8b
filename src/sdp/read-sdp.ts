import { memoized } from '../text/parse-memo.ts';
import { parseDoc } from './sdp-doc.ts';
import { viewOf } from './sdp-doc-view.ts';
import { SdpParseError } from './sdp-parse-error.ts';
import type { SdpView } from './sdp-types.ts';

/**
 * Views are read-only and tied to a read-only document, so one reading serves every reader of
 * the same text: an answer is checked against the offer the guard forwarded, which is read again
 * for each answer, and the answer once more when it is committed. Bounded to about 4 MB of text
 * (a typical offer with data channels is 1 KB; a longer text is read every time), so what a peer
 * can make it hold is small, and a peer that fills it with new texts only evicts: another peer's
 * answer then costs the reading it cost without the memo.
 */
const readSdpText = memoized((raw: string) => viewOf(parseDoc(raw)), { remembers: SdpParseError, maxKey: 4096, maxEntries: 1024 });

/**
 * Reads an SDP body and its data channels (RFC 8841, RFC 8864, TS 24.186 9.3).
 *
 * Throws SdpParseError (message: line number and reason) when the text is not an SDP, or has
 * a line a lenient peer might read but the guard would not (RFC 4566 section 5: every line is
 * `<type>=<value>`, type one lower-case letter, directly followed by `=`): `v=` must come first
 * (after empty lines only), no empty line but at the very end, no control characters but tab,
 * no unreadable dcmap/dcsa stream id in a DC m-line; sdp-doc.ts lists the rules. Otherwise
 * lenient: LF, CRLF or mixed line endings, attributes in any order, missing `s=`/`t=`/`o=`
 * (origin null), several DC m-lines, duplicate stream ids (the first dcmap line wins).
 * `dcMedia` lists every DC m-line, port 0 ones included; see dc-channels.ts for how channels are
 * classified and how `3gpp-req-app` lines are associated.
 */
export function readSdp(raw: string): SdpView {
  return readSdpText(raw);
}

/**
 * readSdp for an SDP the guard already let through unread (a trusted peer's, or under
 * `fail: open`) and now needs as a reference: null instead of an exception.
 */
export function readSdpOrNull(raw: string): SdpView | null {
  try {
    return readSdp(raw);
  } catch {
    return null;
  }
}
