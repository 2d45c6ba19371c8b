import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseDocument } from 'yaml';
import { loadProfile, parseProfile } from '../../src/profile/load-profile.ts';
import { ProfileError } from '../../src/profile/profile-error.ts';
import type { Peer, Profile } from '../../src/profile/profile-types.ts';
import { PROFILE_SCHEMA_URL } from '../../src/profile/schema-check.ts';

// Defaults and the snake_case -> Profile mapping.
t.test('a profile with only an empty peer list gets every default', async (t) => {
  const profile = parseProfile('peers: []\n', 'min.yaml');
  const expected: Profile = {
    file: 'min.yaml',
    guard: {
      mode: 'enforce',
      onUnauthorizedDc: 'strip',
      fail: 'closed',
      unknownPeers: 'reject',
      initiatorHeader: 'P-DC-Initiator',
    },
    sip: {
      listen: [
        { transport: 'udp', host: '127.0.0.1', port: 5060 },
        { transport: 'tcp', host: '127.0.0.1', port: 5060 },
      ],
      nextHop: null,
      publicUri: null,
      tls: null,
      forkedAnswers: 'end',
      minSe: 90,
    },
    privacy: { pseudonymKeyEnv: 'DC_GUARD_PSEUDONYM_KEY', passHeaders: [] },
    state: { store: 'memory', url: 'redis://127.0.0.1:6379/0', passwordEnv: null, keyPrefix: 'dcg:', commandTimeoutMs: 250 },
    admin: null,
    audit: { identities: 'pseudonym' },
    limits: {
      message: {
        maxMessageBytes: 65535,
        maxHeaders: 256,
        maxHeaderBytes: 8192,
        maxParamsPerHeader: 64,
        maxListEntries: 32,
        maxSdpLines: 256,
        maxSdpMedia: 16,
        maxBodyParts: 4,
        maxMultipartDepth: 2,
      },
      transport: { maxConnections: 1024, maxConnectionsPerSource: 64, headerDeadlineMs: 10000, idleTimeoutMs: 120000, maxWriteQueueBytes: 1048576 },
      fairShare: { queuePerPeer: 256, queueUnknown: 64, retryAfterS: 5 },
    },
    peers: [],
    consent: { default: 'allow', users: {} },
  };
  t.strictSame(profile, expected);
});

t.test('empty sections are the same as absent ones', async (t) => {
  const profile = parseProfile('guard: {}\nsip: {}\nprivacy: {}\nlimits: { message: {}, transport: {}, fair_share: {} }\nconsent: {}\n', 'min.yaml');
  t.strictSame(profile, parseProfile('peers: []\n', 'min.yaml'));
});

t.test('peer defaults depend on trust', async (t) => {
  const profile = parseProfile(
    [
      'peers:',
      '  - id: core',
      '    trusted: true',
      '  - id: as1',
      '    trusted: false',
      '    match: { source: ["192.0.2.1/32"] }',
      '  - id: as2',
      '    trusted: false',
      '    match: { source: ["192.0.2.2/32"] }',
      '    grants: { apps: ["com.example.a"] }',
      '    limits: { concurrent_calls: 3 }',
    ].join('\n'),
    'peers.yaml',
  );
  const noLimits = { requestsPerSecond: null, burst: null, concurrentCalls: null };
  const [core, as1, as2] = profile.peers;
  t.strictSame(core, {
    id: 'core',
    trusted: true,
    uri: null,
    sources: [],
    certificateSans: [],
    identity: 'pass',
    grants: { bootstrap: true, apps: ['*'], maxChannels: null, maxBandwidthKbps: null, modify: 'any', terminate: true, capabilities: true },
    limits: noLimits,
  } satisfies Peer);
  t.strictSame(as1, {
    id: 'as1',
    trusted: false,
    uri: null,
    sources: ['192.0.2.1/32'],
    certificateSans: [],
    identity: 'pseudonym',
    grants: { bootstrap: false, apps: [], maxChannels: null, maxBandwidthKbps: null, modify: 'none', terminate: false, capabilities: false },
    limits: noLimits,
  } satisfies Peer);
  t.strictSame(as2?.grants, { bootstrap: false, apps: ['com.example.a'], maxChannels: null, maxBandwidthKbps: null, modify: 'none', terminate: false, capabilities: false });
  t.strictSame(as2?.limits, { requestsPerSecond: null, burst: null, concurrentCalls: 3 });
});

t.test('explicit null caps are the same as absent ones', async (t) => {
  const profile = parseProfile(
    'peers:\n  - id: a\n    trusted: false\n    match: { source: ["192.0.2.1/32"] }\n    grants: { max_channels: null, max_bandwidth_kbps: ~ }\n    limits: { burst: null }\n',
    'nulls.yaml',
  );
  t.equal(profile.peers[0]?.grants.maxChannels, null);
  t.equal(profile.peers[0]?.grants.maxBandwidthKbps, null);
  t.equal(profile.peers[0]?.limits.burst, null);
});

t.test('snake_case keys map to the Profile fields, consent records get both lists', async (t) => {
  const profile = parseProfile(
    [
      'guard: { mode: monitor, on_unauthorized_dc: reject, fail: open, unknown_peers: untrusted, initiator_header: X-On-Behalf }',
      'sip:',
      '  listen: ["tcp:[::1]:5070", "udp:0.0.0.0:5060"]',
      '  next_hop: "sip:scscf.example.net:5061;transport=tcp"',
      '  public_uri: "sip:guard.example.net"',
      'privacy: { pseudonym_key_env: MY_KEY, pass_headers: [x-service-hint, b] }',
      'peers:',
      '  - id: as',
      '    trusted: false',
      '    uri: "sip:as.example.net"',
      '    match: { source: ["2001:db8::/32"] }',
      '    identity: remove',
      '    grants: { bootstrap: true, apps: ["*"], max_channels: 2, max_bandwidth_kbps: 64, modify: any, terminate: true, capabilities: true }',
      '    limits: { requests_per_second: 0.5, burst: 2, concurrent_calls: 10 }',
      'consent:',
      '  default: deny',
      '  users:',
      '    "tel:+15550001111": { allow: ["as"] }',
      '    "sip:bob@example.net": { deny: ["as:bootstrap"] }',
    ].join('\n'),
    'all.yaml',
  );
  t.strictSame(profile.guard, { mode: 'monitor', onUnauthorizedDc: 'reject', fail: 'open', unknownPeers: 'untrusted', initiatorHeader: 'X-On-Behalf' });
  t.strictSame(profile.sip, {
    listen: [
      { transport: 'tcp', host: '::1', port: 5070 },
      { transport: 'udp', host: '0.0.0.0', port: 5060 },
    ],
    nextHop: 'sip:scscf.example.net:5061;transport=tcp',
    publicUri: 'sip:guard.example.net',
    tls: null,
    forkedAnswers: 'end',
    minSe: 90,
  });
  t.strictSame(profile.privacy, { pseudonymKeyEnv: 'MY_KEY', passHeaders: ['x-service-hint', 'Referred-By'] });
  t.strictSame(profile.peers[0], {
    id: 'as',
    trusted: false,
    uri: 'sip:as.example.net',
    sources: ['2001:db8::/32'],
    certificateSans: [],
    identity: 'remove',
    grants: { bootstrap: true, apps: ['*'], maxChannels: 2, maxBandwidthKbps: 64, modify: 'any', terminate: true, capabilities: true },
    limits: { requestsPerSecond: 0.5, burst: 2, concurrentCalls: 10 },
  });
  t.strictSame(profile.consent, {
    default: 'deny',
    users: {
      'tel:+15550001111': { allow: ['as'], deny: [] },
      'sip:bob@example.net': { allow: [], deny: ['as:bootstrap'] },
    },
  });
});

t.test('the profile is deeply frozen', async (t) => {
  const profile = parseProfile(
    'peers:\n  - id: a\n    trusted: false\n    match: { source: ["192.0.2.1/32"] }\nconsent:\n  users:\n    "tel:+1": { allow: [a] }\n',
    'frozen.yaml',
  );
  const unfrozen: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'object' && value !== null) {
      if (!Object.isFrozen(value)) {
        unfrozen.push(path);
      }
      for (const [key, inner] of Object.entries(value)) {
        walk(inner, `${path}.${key}`);
      }
    }
  };
  walk(profile, 'profile');
  t.strictSame(unfrozen, []);
  t.throws(() => {
    (profile.peers[0]?.grants.apps as string[]).push('x');
  }, TypeError);
});

// Errors: every class of problem, with its exact file:line: reason.
/** Joins lines so that the n-th argument is line n of the profile. */
const lines = (...text: string[]): string => `${text.join('\n')}\n`;

/** The brief's example profile; the line numbers below refer to it. */
const BASE = lines(
  /* 1 */ 'guard:',
  /* 2 */ '  mode: enforce',
  /* 3 */ '  on_unauthorized_dc: strip',
  /* 4 */ '  fail: closed',
  /* 5 */ '  unknown_peers: reject',
  /* 6 */ '  initiator_header: P-DC-Initiator',
  /* 7 */ 'sip:',
  /* 8 */ '  listen: ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]',
  /* 9 */ '  next_hop: "sip:127.0.0.1:5080"',
  /* 10 */ 'privacy:',
  /* 11 */ '  pseudonym_key_env: DC_GUARD_PSEUDONYM_KEY',
  /* 12 */ 'peers:',
  /* 13 */ '  - id: core',
  /* 14 */ '    trusted: true',
  /* 15 */ '    match: { source: ["127.0.0.1/32", "::1/128"] }',
  /* 16 */ '  - id: weather-as',
  /* 17 */ '    trusted: false',
  /* 18 */ '    uri: "sip:127.0.0.3:5060"',
  /* 19 */ '    match: { source: ["127.0.0.3/32"] }',
  /* 20 */ '    identity: pseudonym',
  /* 21 */ '    grants:',
  /* 22 */ '      bootstrap: false',
  /* 23 */ '      apps: ["com.example.weather"]',
  /* 24 */ '      max_channels: 4',
  /* 25 */ '      max_bandwidth_kbps: 256',
  /* 26 */ '      modify: own',
  /* 27 */ '      terminate: false',
  /* 28 */ '    limits: { requests_per_second: 50, burst: 100, concurrent_calls: 1000 }',
  /* 29 */ 'consent:',
  /* 30 */ '  default: allow',
  /* 31 */ '  users:',
  /* 32 */ '    "tel:+15550001111": { deny: ["weather-as"] }',
  /* 33 */ '    "sip:alice@ims.example.net": { allow: ["weather-as:com.example.weather"] }',
);

/** BASE with line `n` (1-based) replaced by `text` (which may hold several lines, or none). */
function editLine(n: number, text: string | null): string {
  const all = BASE.split('\n');
  all.splice(n - 1, 1, ...(text === null ? [] : [text]));
  return all.join('\n');
}

function errorOf(text: string): ProfileError {
  try {
    parseProfile(text, 'op.yaml');
  } catch (error) {
    if (error instanceof ProfileError) {
      return error;
    }
    throw error;
  }
  throw new Error('the profile was accepted');
}

t.test('the base profile is valid', async (t) => {
  t.equal(parseProfile(BASE, 'op.yaml').peers.length, 2);
});

t.test('ProfileError carries file, line, reason and formats them', async (t) => {
  const error = errorOf(editLine(26, '      modify: mine'));
  t.equal(error.file, 'op.yaml');
  t.equal(error.line, 26);
  t.equal(error.reason, 'peers[1].grants.modify: must be one of none, own, any (got "mine")');
  t.equal(error.message, 'op.yaml:26: peers[1].grants.modify: must be one of none, own, any (got "mine")');
  t.strictSame(error.problems, [{ line: 26, reason: error.reason }]);
  t.equal(error.name, 'ProfileError');
  t.ok(error instanceof Error);
  t.equal(new ProfileError('f.yaml', 3, 'bad').message, 'f.yaml:3: bad');
  t.equal(new ProfileError('f.yaml', 0, 'cannot read').message, 'f.yaml: cannot read');
});

const cases: [name: string, text: string, message: string][] = [
  // YAML syntax
  ['tab indentation', editLine(2, '\tmode: enforce'), 'op.yaml:2: YAML syntax: tabs are not allowed as indentation (column 1)'],
  ['duplicate key', editLine(2, '  mode: enforce\n  mode: monitor'), 'op.yaml:3: YAML syntax: map keys must be unique (column 3)'],
  ['unclosed flow sequence', editLine(19, '    match: { source: ["127.0.0.3/32" }'), 'op.yaml:19: YAML syntax: flow sequence in block collection must be sufficiently indented and end with a ] (column 38)'],
  ['two documents', lines('peers: []', '---', 'peers: []'), 'op.yaml:2: YAML syntax: source contains multiple documents; please use YAML.parseAllDocuments() (column 1)'],
  // shape
  ['empty file', '', 'op.yaml:1: the profile is empty (expected the keys guard, sip, privacy, peers, consent)'],
  ['comments only', lines('# nothing yet'), 'op.yaml:1: the profile is empty (expected the keys guard, sip, privacy, peers, consent)'],
  ['top level list', lines('- guard', '- sip'), 'op.yaml:1: top level: must be a mapping (got a list)'],
  ['unknown top-level key', editLine(1, 'gaurd:'), 'op.yaml:1: unknown top-level key "gaurd" (did you mean "guard"?)'],
  ['unknown key, near miss', editLine(2, '  moed: enforce'), 'op.yaml:2: guard: unknown key "moed" (did you mean "mode"?)'],
  ['unknown key, no near miss', editLine(22, '      bootstrap: false\n      colour: red'), 'op.yaml:23: peers[1].grants: unknown key "colour" (known keys: bootstrap, apps, max_channels, max_bandwidth_kbps, modify, terminate, capabilities)'],
  ['empty section', editLine(11, null), 'op.yaml:10: privacy: must be a mapping (got nothing; write {} for an empty mapping)'],
  ['missing required key', editLine(17, null), 'op.yaml:16: peers[1]: missing required key "trusted"'],
  // values
  ['enum', editLine(2, '  mode: 5'), 'op.yaml:2: guard.mode: must be one of enforce, monitor (got 5)'],
  ['enum in a peer', editLine(20, '    identity: hidden'), 'op.yaml:20: peers[1].identity: must be one of pass, remove, anonymous, pseudonym (got "hidden")'],
  ['YAML 1.2 "yes" is a string', editLine(17, '    trusted: yes'), 'op.yaml:17: peers[1].trusted: must be true or false (got "yes")'],
  ['integer', editLine(24, '      max_channels: "4"'), 'op.yaml:24: peers[1].grants.max_channels: must be a whole number or null (got "4")'],
  ['boolean grant', editLine(27, '      terminate: false\n      capabilities: yes'), 'op.yaml:28: peers[1].grants.capabilities: must be true or false (got "yes")'],
  ['minimum', editLine(24, '      max_channels: -1'), 'op.yaml:24: peers[1].grants.max_channels: must be at least 0 (got -1)'],
  ['exclusive minimum', editLine(28, '    limits: { requests_per_second: 0 }'), 'op.yaml:28: peers[1].limits.requests_per_second: must be more than 0 (got 0)'],
  ['minItems', editLine(8, '  listen: []'), 'op.yaml:8: sip.listen: must have at least 1 entry'],
  ['duplicate app', editLine(23, '      apps:\n        - a\n        - b\n        - a'), 'op.yaml:26: peers[1].grants.apps[2]: duplicate entry "a" (first at line 24)'],
  ['peer id characters', editLine(16, '  - id: "weather as"'), 'op.yaml:16: peers[1].id: must be a peer id: letters, digits, ".", "_" and "-" only (got "weather as")'],
  ['header name', editLine(6, '  initiator_header: "P DC"'), 'op.yaml:6: guard.initiator_header: must be a SIP header name: letters, digits and - . ! % * _ + ` \' ~, no spaces or colon (got "P DC")'],
  ['env var name', editLine(11, '  pseudonym_key_env: 1KEY'), 'op.yaml:11: privacy.pseudonym_key_env: must be an environment variable name (letters, digits and _, not starting with a digit) (got "1KEY")'],
  ['consent user key', editLine(32, '    "+15550001111": { deny: ["weather-as"] }'), 'op.yaml:32: consent.users["+15550001111"]: must be a tel:, sip: or sips: URI (got "+15550001111")'],
  ['consent entry shape', editLine(32, '    "tel:+15550001111": { deny: ["weather as"] }'), 'op.yaml:32: consent.users["tel:+15550001111"].deny[0]: must be "peer-id", "peer-id:app-id" or "peer-id:bootstrap" (got "weather as")'],
  ['uri scheme', editLine(18, '    uri: "http://127.0.0.3/"'), 'op.yaml:18: peers[1].uri: must be a sip: or sips: URI (got "http://127.0.0.3/")'],
  // semantic checks
  ['duplicate peer id', editLine(16, '  - id: core'), 'op.yaml:16: peers[1].id: duplicate peer id "core" (first at line 13)\nop.yaml:32: consent.users["tel:+15550001111"].deny[0]: unknown peer "weather-as" (peers: core)\nop.yaml:33: consent.users["sip:alice@ims.example.net"].allow[0]: unknown peer "weather-as" (peers: core)'],
  ['not a CIDR', editLine(15, '    match: { source: ["127.0.0.1/32", "10.0.0/8"] }'), 'op.yaml:15: peers[0].match.source[1]: not a CIDR: "10.0.0/8"'],
  ['CIDR without prefix', editLine(19, '    match: { source: ["127.0.0.3"] }'), 'op.yaml:19: peers[1].match.source[0]: not a CIDR: "127.0.0.3" (write "127.0.0.3/32" for a single address)'],
  ['CIDR prefix too long', editLine(19, '    match: { source: ["2001:db8::/129"] }'), 'op.yaml:19: peers[1].match.source[0]: not a CIDR: "2001:db8::/129" (the prefix length must be 0-128)'],
  ['CIDR host bits', editLine(19, '    match: { source: ["2001:db8::1/32"] }'), 'op.yaml:19: peers[1].match.source[0]: host bits set in "2001:db8::1/32" (did you mean "2001:db8::/32"?)'],
  ['IPv4-mapped CIDR', editLine(19, '    match: { source: ["::ffff:127.0.0.3/128"] }'), 'op.yaml:19: peers[1].match.source[0]: IPv4-mapped block "::ffff:127.0.0.3/128": write it as IPv4 ("127.0.0.3/32")'],
  ['CIDR claimed twice', editLine(19, '    match: { source: ["127.0.0.1/32"] }'), 'op.yaml:19: peers[1].match.source[0]: "127.0.0.1/32" is already claimed by peer "core" (line 15)'],
  ['same block, other spelling', editLine(19, '    match: { source: ["0:0::1/128"] }'), 'op.yaml:19: peers[1].match.source[0]: "0:0::1/128" is already claimed by peer "core" (line 15)'],
  ['CIDR twice in one peer', editLine(19, '    match:\n      source:\n        - "127.0.0.3/32"\n        - "127.0.0.3/32"'), 'op.yaml:22: peers[1].match.source[1]: duplicate source "127.0.0.3/32" (first at line 21)'],
  ['untrusted peer without match', editLine(19, null), 'op.yaml:16: peers[1]: an untrusted peer needs at least one match.source CIDR or a match.certificate (it could never be recognised)'],
  ['untrusted peer with empty source', editLine(19, '    match: { source: [] }'), 'op.yaml:19: peers[1].match.source: an untrusted peer needs at least one match.source CIDR or a match.certificate (it could never be recognised)'],
  ['grants on a trusted peer', editLine(14, '    trusted: true\n    grants: { apps: ["x"] }'), 'op.yaml:15: peers[0].grants: a trusted peer may already do everything; remove grants or set trusted: false'],
  ['burst without rate', editLine(28, '    limits:\n      burst: 100'), 'op.yaml:29: peers[1].limits.burst: needs requests_per_second (burst is the bucket size of that rate)'],
  ['rate below 1 without burst', editLine(28, '    limits: { requests_per_second: 0.5 }'), 'op.yaml:28: peers[1].limits.requests_per_second: a rate below 1 needs a burst of at least 1 (got 0.5 and no burst)'],
  ['listen port', editLine(8, '  listen: ["udp:127.0.0.1:70000"]'), 'op.yaml:8: sip.listen[0]: not a listen address: "udp:127.0.0.1:70000" (port "70000" is not 1-65535)'],
  ['listen port 0', editLine(8, '  listen:\n    - "udp:127.0.0.1:5060"\n    - "tcp:127.0.0.1:0"'), 'op.yaml:10: sip.listen[1]: not a listen address: "tcp:127.0.0.1:0" (port "0" is not 1-65535)'],
  ['listen IPv6 without brackets', editLine(8, '  listen: ["udp:::1:5060"]'), 'op.yaml:8: sip.listen[0]: must be "udp:host:port", "tcp:host:port" or "tls:host:port", an IPv6 host in brackets as in "udp:[::1]:5060" (got "udp:::1:5060")'],
  ['listen bad IPv4', editLine(8, '  listen: ["udp:127.0.0:5060"]'), 'op.yaml:8: sip.listen[0]: not a listen address: "udp:127.0.0:5060" (bad host "127.0.0")'],
  ['listen bad IPv6', editLine(8, '  listen: ["udp:[::g]:5060"]'), 'op.yaml:8: sip.listen[0]: not a listen address: "udp:[::g]:5060" (bad IPv6 host "[::g]")'],
  ['listen twice', editLine(8, '  listen:\n    - "udp:[::1]:5060"\n    - "udp:[::1]:5060"'), 'op.yaml:10: sip.listen[1]: duplicate listen entry "udp:[::1]:5060" (first at line 9)'],
  ['next_hop host', editLine(9, '  next_hop: "sip:bad_host"'), 'op.yaml:9: sip.next_hop: not a valid SIP URI: "sip:bad_host" (bad host "bad_host")'],
  ['next_hop headers', editLine(9, '  next_hop: "sip:127.0.0.1?Subject=x"'), 'op.yaml:9: sip.next_hop: not a valid SIP URI: "sip:127.0.0.1?Subject=x"'],
  ['public_uri port', editLine(9, '  public_uri: "sip:guard.example.net:99999"'), 'op.yaml:9: sip.public_uri: not a valid SIP URI: "sip:guard.example.net:99999" (port "99999" is not 1-65535)'],
  ['peer uri', editLine(18, '    uri: "sip:[::1:5060"'), 'op.yaml:18: peers[1].uri: not a valid SIP URI: "sip:[::1:5060" (bad IPv6 host "[::1:5060")'],
  ['consent names an unknown peer', editLine(32, '    "tel:+15550001111": { deny: ["weathr-as"] }'), 'op.yaml:32: consent.users["tel:+15550001111"].deny[0]: unknown peer "weathr-as" (peers: core, weather-as)'],
  ['consent peer:app with an unknown peer', editLine(33, '    "sip:alice@ims.example.net": { allow: ["news-as:com.example.news"] }'), 'op.yaml:33: consent.users["sip:alice@ims.example.net"].allow[0]: unknown peer "news-as" (peers: core, weather-as)'],
];

for (const [name, text, message] of cases) {
  t.test(name, async (t) => {
    t.equal(errorOf(text).message, message);
  });
}

t.test('every schema error is reported, in line order, one per value', async (t) => {
  let text = editLine(26, '      modify: mine');
  text = text.replace('  mode: enforce', '  mode: 5').replace('  fail: closed', '  fial: closed');
  const error = errorOf(text);
  t.equal(
    error.message,
    [
      'op.yaml:2: guard.mode: must be one of enforce, monitor (got 5)',
      'op.yaml:4: guard: unknown key "fial" (did you mean "fail"?)',
      'op.yaml:26: peers[1].grants.modify: must be one of none, own, any (got "mine")',
    ].join('\n'),
  );
  t.equal(error.line, 2);
  t.equal(error.reason, 'guard.mode: must be one of enforce, monitor (got 5)');
  t.equal(error.problems.length, 3);
});

t.test('semantic checks wait until the schema is satisfied', async (t) => {
  const text = editLine(26, '      modify: mine').replace('"127.0.0.3/32"', '"10.0.0/8"');
  t.equal(errorOf(text).message, 'op.yaml:26: peers[1].grants.modify: must be one of none, own, any (got "mine")');
});

// The profiles and the schema shipped in sip-profiles/.
const profileUrl = (name: string): URL => new URL(`../../sip-profiles/${name}`, import.meta.url);
const schema = JSON.parse(readFileSync(PROFILE_SCHEMA_URL, 'utf8')) as SchemaNode;

interface SchemaNode {
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly propertyNames?: SchemaNode;
  readonly $ref?: string;
  readonly default?: unknown;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
}

/** Follows a local "#/definitions/x" reference. */
function deref(node: SchemaNode): SchemaNode {
  const name = node.$ref?.replace('#/definitions/', '');
  return name === undefined ? node : (schema.definitions?.[name] ?? node);
}

/** Every object key path the schema allows, "[]" for list items and "{}" for map values. */
function schemaPaths(node: SchemaNode, prefix: string, out: string[]): string[] {
  const here = deref(node);
  for (const [key, child] of Object.entries(here.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path);
    schemaPaths(child, path, out);
  }
  if (here.items !== undefined) {
    schemaPaths(here.items, `${prefix}[]`, out);
  }
  if (typeof here.additionalProperties === 'object') {
    schemaPaths(here.additionalProperties, `${prefix}{}`, out);
  }
  return out;
}

/** Every key path written in a document, with the same "[]" and "{}" conventions (consent.users is a map). */
function writtenPaths(value: unknown, prefix: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) {
      writtenPaths(item, `${prefix}[]`, out);
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      const path = prefix === 'consent.users' ? `${prefix}{}` : prefix === '' ? key : `${prefix}.${key}`;
      if (prefix !== 'consent.users') {
        out.add(path);
      }
      writtenPaths(inner, path, out);
    }
  }
  return out;
}

t.test('default.yaml loads with the lab setup npm start expects', async (t) => {
  const file = fileURLToPath(profileUrl('default.yaml'));
  const profile = loadProfile(file);
  t.equal(profile.file, file);
  t.equal(profile.guard.mode, 'enforce');
  t.strictSame(profile.sip.listen, [
    { transport: 'udp', host: '127.0.0.1', port: 5060 },
    { transport: 'tcp', host: '127.0.0.1', port: 5060 },
  ]);
  t.equal(profile.sip.nextHop, 'sip:127.0.0.1:5080');
  t.strictSame(
    profile.peers.map((peer) => [peer.id, peer.trusted, peer.identity, peer.sources]),
    [
      ['core', true, 'pass', ['127.0.0.1/32', '::1/128']],
      ['demo-as', false, 'anonymous', ['127.0.0.3/32']],
    ],
  );
  const demo = profile.peers[1];
  t.equal(demo?.uri, 'sip:127.0.0.3:5060');
  t.strictSame(demo?.grants, { bootstrap: false, apps: ['com.example.demo'], maxChannels: 4, maxBandwidthKbps: 256, modify: 'own', terminate: false, capabilities: false });
  t.notOk(
    profile.peers.some((peer) => peer.identity === 'pseudonym'),
    'starts without a pseudonym key',
  );
});

t.test('example-operator.yaml loads and uses every key of the schema', async (t) => {
  const text = readFileSync(profileUrl('example-operator.yaml'), 'utf8');
  const profile = parseProfile(text, 'example-operator.yaml');
  t.ok(profile.peers.some((peer) => peer.identity === 'pseudonym'));
  t.ok(profile.peers.some((peer) => peer.sources.some((source) => source.includes(':'))), 'an IPv6 peer');
  t.ok(profile.peers.filter((peer) => !peer.trusted).length >= 3, 'several untrusted ASes');
  const users = Object.keys(profile.consent.users);
  t.ok(users.some((user) => user.startsWith('tel:')) && users.some((user) => user.startsWith('sip:')));
  const written = writtenPaths(parseDocument(text).toJS(), '', new Set());
  const missing = schemaPaths(schema, '', []).filter((path) => !written.has(path));
  t.strictSame(missing, []);
});

t.test('both shipped profiles point editors at the schema', async (t) => {
  for (const name of ['default.yaml', 'example-operator.yaml']) {
    t.match(readFileSync(profileUrl(name), 'utf8'), /^# yaml-language-server: \$schema=\.\/profile\.schema\.json\n/, name);
  }
});

t.test('the schema documents every key, and its defaults are the loader defaults', async (t) => {
  const undocumented: string[] = [];
  const walk = (node: SchemaNode, path: string): void => {
    const here = deref(node);
    if (here.description === undefined) {
      undocumented.push(path);
    }
    for (const [key, child] of Object.entries(here.properties ?? {})) {
      walk(child, `${path}.${key}`);
    }
    if (here.items !== undefined) {
      walk(here.items, `${path}[]`);
    }
    if (typeof here.additionalProperties === 'object') {
      walk(here.additionalProperties, `${path}{}`);
    }
  };
  walk(schema, '');
  t.strictSame(undocumented, []);

  // Scalar defaults of the sections, compared with what the loader fills in.
  // admin: {} so that the admin section (null when absent) has its defaults to compare.
  const profile = parseProfile('peers: []\nadmin: {}\n', 'x.yaml') as unknown as Record<string, Record<string, unknown>>;
  const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const [section, node] of Object.entries(schema.properties ?? {})) {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (key === 'listen' || key === 'users') {
        continue; // listen is parsed into ListenSpec, users into records: checked in profile-defaults.test.ts
      }
      const nested = child.properties;
      if (section === 'limits' && nested !== undefined) {
        // limits has one level more: limits.message.max_headers and so on.
        const group = profile[section]?.[camel(key)] as Record<string, unknown> | undefined;
        for (const [inner, leaf] of Object.entries(nested)) {
          t.strictSame(group?.[camel(inner)], leaf.default, `${section}.${key}.${inner}`);
        }
        continue;
      }
      t.strictSame(profile[section]?.[camel(key)], child.default, `${section}.${key}`);
    }
  }
  // Untrusted-peer grant and limit defaults.
  const untrusted = parseProfile('peers:\n  - id: a\n    trusted: false\n    match: { source: ["192.0.2.1/32"] }\n', 'x.yaml').peers[0] as unknown as Record<string, Record<string, unknown>>;
  const peerSchema = schema.definitions?.peer;
  for (const group of ['grants', 'limits']) {
    for (const [key, child] of Object.entries(peerSchema?.properties?.[group]?.properties ?? {})) {
      t.strictSame(untrusted[group]?.[camel(key)], child.default, `${group}.${key}`);
    }
  }
});

t.test('loadProfile: Profile.file is absolute, messages name the file as given', async (t) => {
  const relative = fileURLToPath(profileUrl('default.yaml')).slice(process.cwd().length + 1);
  t.equal(loadProfile(relative).file, fileURLToPath(profileUrl('default.yaml')));
  const missing = errorOfLoad('no/such/profile.yaml');
  t.equal(missing.message, 'no/such/profile.yaml: cannot read the profile (no such file)');
  t.equal(missing.line, 0);
});

function errorOfLoad(file: string): ProfileError {
  try {
    loadProfile(file);
  } catch (error) {
    if (error instanceof ProfileError) {
      return error;
    }
    throw error;
  }
  throw new Error('the profile was loaded');
}

t.test('two consent records for one user, spelled two ways, are an error on the second', async (t) => {
  const text = [
    'peers:',
    '  - { id: core, trusted: true, match: { source: ["127.0.0.1/32"] } }',
    'consent:',
    '  users:',
    '    "tel:+1-555-000-1111": { deny: ["core"] }',
    '    "sip:+15550001111@ims.example.net;user=phone": { allow: ["core"] }',
    '',
  ].join('\n');
  t.throws(() => parseProfile(text, 'dup.yaml'), {
    message: 'dup.yaml:6: consent.users["sip:+15550001111@ims.example.net;user=phone"]: the same user as "tel:+1-555-000-1111" (line 5): write one record',
  });
});

t.test('TLS asked for anywhere needs sip.tls: never cleartext toward a sips: peer', async (t) => {
  const peers = ['peers:', '  - id: as', '    trusted: false', '    uri: "sips:as.example.net"', '    match: { source: ["192.0.2.1/32"] }'];
  t.equal(errorOf(peers.join('\n')).message, 'op.yaml:4: peers[0].uri: "sips:as.example.net" is reached over TLS only; configure sip.tls (certificate, key, ca)');
  t.equal(
    errorOf(['sip:', '  listen: ["tls:127.0.0.1:5061"]', 'peers: []'].join('\n')).message,
    'op.yaml:2: sip.listen[0]: a tls listen entry needs sip.tls (certificate, key, ca)',
  );
  t.equal(
    errorOf(['sip:', '  next_hop: "sip:scscf.example.net;transport=TLS"', 'peers: []'].join('\n')).message,
    'op.yaml:2: sip.next_hop: "sip:scscf.example.net;transport=TLS" is reached over TLS only; configure sip.tls (certificate, key, ca)',
  );
  const withTls = ['sip:', '  tls: { certificate: g.pem, key: g.key, ca: [ca.pem] }', ...peers].join('\n');
  const profile = parseProfile(withTls, '/etc/dc-guard/op.yaml');
  t.strictSame(profile.sip.tls, {
    certificateFile: '/etc/dc-guard/g.pem',
    keyFile: '/etc/dc-guard/g.key',
    caFiles: ['/etc/dc-guard/ca.pem'],
    minVersion: 'TLSv1.2',
    requireClientCertificate: true,
  });
  const byCertificate = ['sip:', '  tls: { certificate: g.pem, key: g.key, ca: [ca.pem] }', 'peers:', '  - id: as', '    trusted: false', '    match: { certificate: { san: [as.example.net] } }'];
  t.strictSame(parseProfile(byCertificate.join('\n'), 'op.yaml').peers[0]?.certificateSans, ['as.example.net']);
});

t.test('state, admin and audit: defaults filled in, admin parsed, credentials in a Redis URL refused on their line', (t) => {
  const profile = parseProfile(
    ['state: { store: redis, url: "redis://10.0.0.5:6380/2", key_prefix: "dcg-a:" }', 'admin: { listen: "[::1]:9191" }', 'audit: { identities: clear }', 'peers: []', ''].join('\n'),
    'ops.yaml',
  );
  t.strictSame(profile.state, { store: 'redis', url: 'redis://10.0.0.5:6380/2', passwordEnv: null, keyPrefix: 'dcg-a:', commandTimeoutMs: 250 });
  t.strictSame(profile.admin, { host: '::1', port: 9191, tokenEnv: 'DC_GUARD_ADMIN_TOKEN' });
  t.equal(profile.audit.identities, 'clear');
  t.throws(() => parseProfile('peers: []\nstate:\n  url: "redis://user:secret@10.0.0.5:6379"\n', 'ops.yaml'), /^ops\.yaml:3: state\.url: must be redis:\/\/host:port\[\/db\] or rediss:\/\/host:port\[\/db\], with no user or password in it/);
  t.throws(() => parseProfile('peers: []\nstate: { store: etcd }\n', 'ops.yaml'), /^ops\.yaml:2: state\.store: must be one of memory, redis/);
  t.end();
});

t.test('a wildcard first listen address needs sip.public_uri: the guard would otherwise name itself 0.0.0.0', (t) => {
  t.throws(
    () => parseProfile('sip:\n  listen: ["udp:0.0.0.0:5060"]\npeers: []\n', 'wild.yaml'),
    /^wild\.yaml:2: sip\.listen\[0\]: listens on every address \(0\.0\.0\.0\), which names no address a peer can reach: set sip\.public_uri/,
  );
  t.throws(() => parseProfile('sip:\n  listen: ["tcp:[::]:5060"]\npeers: []\n', 'wild.yaml'), /sip\.listen\[0\]: listens on every address \(::\)/);
  t.equal(parseProfile('sip:\n  listen: ["udp:0.0.0.0:5060"]\n  public_uri: "sip:192.0.2.10:5060"\npeers: []\n', 'ok.yaml').sip.publicUri, 'sip:192.0.2.10:5060');
  t.end();
});
