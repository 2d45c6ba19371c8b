/**
 * What the guard writes about itself, made true for a message that goes over TLS. The call
 * controller writes one Via, Contact and Route entry for the guard whatever the transport
 * (it does not know where a URI resolves to); the embedded front end knows, and before a
 * message leaves over TLS it rewrites those to the guard's TLS address:
 *
 * - top Via `SIP/2.0/TLS <tls host>:<tls port>;...;alias` (RFC 3261 18.1.1: the transport used;
 *   RFC 5923 `alias`: the peer may send its requests back on this connection);
 * - Contact `<sips:...>` when the Request-URI is sips: (RFC 5630 3.1.3), else `;transport=tls`,
 *   so the peer's in-dialog requests come back over TLS, where its certificate is checked;
 * - the guard's own Route entry (the route token an AS returns through) likewise.
 *
 * Only values the guard wrote are touched: they are compared with what GuardSelf writes.
 */
import type { GuardSelf } from '../../routing/guard-self.ts';
import type { SipMessage, SipRequest } from '../../sip/sip-message.ts';
import { viaParam } from '../../sip/via.ts';
import { readTopVia, replaceTopVia } from '../../transport/top-via.ts';

/** Rewrites the guard's Via, Contact and Route entry of a request about to go over TLS. */
export function requestOverTls(req: SipRequest, self: GuardSelf): void {
  const address = self.tls ?? { host: self.host, port: self.port, uri: self.uri };
  const top = readTopVia(req);
  if (top.via.transport.toUpperCase() !== 'TLS') {
    const params = top.via.params.slice();
    if (viaParam(top.via, 'alias') === undefined) {
      params.push(['alias', null]);
    }
    replaceTopVia(req, top, { protocol: 'SIP/2.0/TLS', transport: 'TLS', host: address.host, port: address.port, params });
  }
  contactOverTls(req, self, /^sips:/i.test(req.uri));
  if (self.tls === null) {
    return;
  }
  const own = `<${self.uri};`;
  const overTls = `<${self.tls.uri};transport=tls;`;
  req.headers.forEach((header, i) => {
    if (header.name === 'Route' && header.value.includes(own)) {
      req.headers[i] = { name: 'Route', value: header.value.split(own).join(overTls) };
    }
  });
}

/** Rewrites the guard's Contact in a message going over TLS (a response on a TLS connection, or a request). */
export function contactOverTls(msg: SipMessage, self: GuardSelf, sips = false): void {
  if (self.tls === null) {
    return;
  }
  const own = self.contactAddress();
  const overTls = sips ? `<sips:${self.tls.host}:${self.tls.port}>` : `<${self.tls.uri};transport=tls>`;
  msg.headers.forEach((header, i) => {
    // The guard's address, then the feature parameters it copied (GuardSelf.contact), kept.
    if (header.name === 'Contact' && (header.value === own || header.value.startsWith(`${own};`))) {
      msg.headers[i] = { name: 'Contact', value: overTls + header.value.slice(own.length) };
    }
  });
}
