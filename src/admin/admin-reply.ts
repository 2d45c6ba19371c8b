/** What an admin route answers: a status, a JSON body (or text), headers. */
export interface AdminReply {
  readonly status: number;
  /** JSON-encoded unless `text` is given. */
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Run once the reply is on the wire (POST /drain drains after saying so). */
  readonly after?: () => void;
}

export function jsonReply(status: number, json: unknown, headers?: Readonly<Record<string, string>>): AdminReply {
  return headers === undefined ? { status, json } : { status, json, headers };
}

/** `{"error": "..."}` plus whatever else helps the caller. */
export function errorReply(status: number, error: string, extra: Readonly<Record<string, unknown>> = {}, headers?: Readonly<Record<string, string>>): AdminReply {
  return jsonReply(status, { error, ...extra }, headers);
}
