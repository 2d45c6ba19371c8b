/**
 * The admin listener's routes: what each path answers to which method, and which need the
 * bearer token (every one that changes state, and the consent records, which are personal data).
 */
import type { ConsentStore } from '../state/consent-store.ts';
import type { Profile } from '../profile/profile-types.ts';
import { errorReply, jsonReply, type AdminReply } from './admin-reply.ts';
import { deleteConsent, getConsent, putConsent } from './consent-api.ts';

export type ReloadResult = { readonly ok: true } | { readonly ok: false; readonly errors: readonly string[] };

/** What the routes act on: callbacks into the running guard. */
export interface AdminDeps {
  readonly metrics: { readonly contentType: string; text(): Promise<string> };
  /** True once the guard is draining (SIGTERM, POST /drain). */
  readonly isDraining: () => boolean;
  /** False while the call store cannot be reached. */
  readonly storeReachable: () => boolean;
  /** Same as SIGHUP: a refused profile leaves the running one in force and says why (`file:line: reason`). */
  readonly reload: () => ReloadResult | Promise<ReloadResult>;
  /** Same as SIGTERM: new dialogs 503, calls in progress run to their end, then the process exits. */
  readonly drain: () => void;
  readonly consent: ConsentStore;
  readonly profile: () => Profile;
}

export interface RouteCall {
  readonly params: readonly string[];
  readonly body: string;
}

type Handler = (deps: AdminDeps, call: RouteCall) => AdminReply | Promise<AdminReply>;

export interface Route {
  /** For the log: the route, never the path (a consent path names a user). */
  readonly name: string;
  readonly auth: boolean;
  readonly methods: Readonly<Partial<Record<string, Handler>>>;
}

const healthz: Route = { name: 'healthz', auth: false, methods: { GET: () => jsonReply(200, { status: 'alive' }) } };

const readyz: Route = {
  name: 'readyz',
  auth: false,
  methods: {
    GET: (deps) => {
      const reasons = [...(deps.isDraining() ? ['draining'] : []), ...(deps.storeReachable() ? [] : ['store-unreachable'])];
      return reasons.length === 0 ? jsonReply(200, { ready: true }) : jsonReply(503, { ready: false, reasons });
    },
  },
};

const metrics: Route = {
  name: 'metrics',
  auth: false,
  methods: { GET: async (deps) => ({ status: 200, text: await deps.metrics.text(), contentType: deps.metrics.contentType }) },
};

const reload: Route = {
  name: 'reload',
  auth: true,
  methods: {
    POST: async (deps) => {
      const result = await deps.reload();
      return result.ok
        ? jsonReply(200, { reloaded: true })
        : errorReply(400, 'profile refused; the running profile stays in force', { errors: result.errors });
    },
  },
};

const drain: Route = {
  name: 'drain',
  auth: true,
  methods: {
    POST: (deps) => {
      const already = deps.isDraining();
      return { status: 202, json: { draining: true }, ...(already ? {} : { after: () => deps.drain() }) };
    },
  },
};

const consent: Route = {
  name: 'consent',
  auth: true,
  methods: {
    GET: (deps, call) => getConsent({ store: deps.consent, profile: deps.profile }, call.params[0] ?? ''),
    PUT: (deps, call) => putConsent({ store: deps.consent, profile: deps.profile }, call.params[0] ?? '', call.body),
    DELETE: (deps, call) => deleteConsent({ store: deps.consent, profile: deps.profile }, call.params[0] ?? ''),
  },
};

const EXACT: ReadonlyMap<string, Route> = new Map([
  ['/healthz', healthz],
  ['/readyz', readyz],
  ['/metrics', metrics],
  ['/reload', reload],
  ['/drain', drain],
]);

/** The route of a path and its parameters (the still-encoded user of `/consent/{user}`), or null. */
export function routeOf(path: string): { route: Route; params: string[] } | null {
  const exact = EXACT.get(path);
  if (exact !== undefined) {
    return { route: exact, params: [] };
  }
  const user = /^\/consent\/([^/]+)$/.exec(path)?.[1];
  return user === undefined ? null : { route: consent, params: [user] };
}
