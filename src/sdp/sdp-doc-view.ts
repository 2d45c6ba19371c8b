/**
 * The tie between the public SdpView that readSdp returns and the line document it was read
 * from. A verdict reads the text once: applyDcEdits and alignAnswer get the view back from the
 * caller and find its document here instead of parsing the body again. A WeakMap, so a view and
 * its document are collected together, and a view whose raw text no longer matches (or one
 * built elsewhere) is simply read afresh. Its own module so the document reader (sdp-doc.ts)
 * knows nothing of the public view types it is exposed through.
 */
import { parseDoc, type SdpDoc } from './sdp-doc.ts';
import type { DcChannel, DcMedia, SdpView } from './sdp-types.ts';

const docs = new WeakMap<SdpView, SdpDoc>();

/** The public view of a document; remembered so applyDcEdits/alignAnswer need not read the text again. */
export function viewOf(doc: SdpDoc): SdpView {
  const dcMedia: DcMedia[] = [];
  const mediaTypes: string[] = [];
  for (const m of doc.media) {
    mediaTypes.push(m.type);
    if (m.isDc) {
      const channels: DcChannel[] = [];
      for (const c of m.channels.values()) {
        channels.push(c.channel);
      }
      dcMedia.push({ index: m.index, port: m.port, proto: m.proto, bandwidthKbps: m.bandwidthKbps, channels });
    }
  }
  const view: SdpView = { raw: doc.raw, mediaCount: doc.media.length, mediaTypes, origin: doc.origin, dcMedia };
  docs.set(view, doc);
  return view;
}

/** The document of a view: the one readSdp built it from, or a fresh reading of its raw text. */
export function docOf(view: SdpView): SdpDoc {
  const doc = docs.get(view);
  return doc !== undefined && doc.raw === view.raw ? doc : parseDoc(view.raw);
}
