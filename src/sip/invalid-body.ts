/**
 * The one way the body reader refuses a body. Parsing throws deep inside nested multiparts;
 * an exception unwinds all of it at once, and classifyBody / rewriteBody (the API edge) turn it
 * into { kind: 'invalid' } or an Error. It lives in its own module because every stage of the
 * reader (parameters, part headers, the tree) raises it and the edge must recognise it.
 */

/** Internal signal for a body the guard refuses; converted to { kind: 'invalid' } at the API edge. */
export class InvalidBody extends Error {
  constructor(
    detail: string,
    readonly overLimit: boolean,
  ) {
    super(detail);
  }
}

export function fail(detail: string, overLimit = false): never {
  throw new InvalidBody(detail, overLimit);
}
