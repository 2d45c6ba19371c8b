import t from 'tap';
import { parseProfile } from '../../src/profile/load-profile.ts';
import { ProfileError } from '../../src/profile/profile-error.ts';

/** A small valid profile with `privacy.pass_headers` on line 3 (plus whatever `extra` lines follow). */
function profileWith(passHeaders: string, extra = ''): string {
  return [
    /* 1 */ 'guard: { initiator_header: X-On-Behalf }',
    /* 2 */ 'privacy:',
    /* 3 */ `  pass_headers: ${passHeaders}`,
    /* 4 */ extra,
    'peers:',
    '  - id: as',
    '    trusted: false',
    '    match: { source: ["192.0.2.1/32"] }',
    '',
  ].join('\n');
}

function messageOf(text: string): string {
  try {
    parseProfile(text, 'op.yaml');
  } catch (error) {
    if (error instanceof ProfileError) {
      return error.message;
    }
    throw error;
  }
  throw new Error('the profile was accepted');
}

t.test('pass_headers defaults to none', async (t) => {
  t.strictSame(parseProfile('peers: []\n', 'x.yaml').privacy.passHeaders, []);
  t.strictSame(parseProfile('privacy: { pass_headers: [] }\npeers: []\n', 'x.yaml').privacy.passHeaders, []);
});

t.test('pass_headers is accepted and kept in the canonical spelling the parser uses', async (t) => {
  const profile = parseProfile(profileWith('[X-Service-Hint, x-other, resource-priority, s]'), 'op.yaml');
  // Unknown names stay as written; known ones take their registered spelling; `s` is Subject's compact form.
  t.strictSame(profile.privacy.passHeaders, ['X-Service-Hint', 'x-other', 'Resource-Priority', 'Subject']);
  t.ok(Object.isFrozen(profile.privacy.passHeaders));
});

const refused: [name: string, list: string, message: string][] = [
  [
    'an asserted identity',
    '[X-Ok, P-Asserted-Identity]',
    'op.yaml:3: privacy.pass_headers[1]: "P-Asserted-Identity" cannot be passed: the guard rewrites it per the peer\'s identity mode (TS 24.229 4.4); use identity: pass for a peer that may see it',
  ],
  ['From, in any case', '[from]', 'op.yaml:3: privacy.pass_headers[0]: "from" cannot be passed: the guard writes its own on each leg (a B2BUA, RFC 3261 16.6, 12.2)'],
  ['Via by its compact form', '[v]', 'op.yaml:3: privacy.pass_headers[0]: "v" cannot be passed: the guard writes its own on each leg (a B2BUA, RFC 3261 16.6, 12.2)'],
  [
    'a header the guard always removes',
    '[P-Access-Network-Info]',
    'op.yaml:3: privacy.pass_headers[0]: "P-Access-Network-Info" cannot be passed: the guard always removes it toward a peer whose identity is not pass, and puts the original back on the way in (TS 24.229 4.4)',
  ],
  ['Privacy', '[Privacy]', 'op.yaml:3: privacy.pass_headers[0]: "Privacy" cannot be passed: the guard honours it and removes it at the edge of the trust domain (RFC 3323 5.3)'],
  ['Accept-Contact by its compact form', '[a]', 'op.yaml:3: privacy.pass_headers[0]: "a" cannot be passed: the guard writes its feature tags itself, filtered per the peer\'s grants.capabilities (RFC 3841); use grants.capabilities'],
  ['Feature-Caps', '[Feature-Caps]', 'op.yaml:3: privacy.pass_headers[0]: "Feature-Caps" cannot be passed: the guard writes its feature tags itself, filtered per the peer\'s grants.capabilities (RFC 6809); use grants.capabilities'],
  ['credentials', '[Authorization]', 'op.yaml:3: privacy.pass_headers[0]: "Authorization" cannot be passed: credentials never go to an untrusted peer (RFC 3261 22)'],
  [
    'the initiator header',
    '[x-on-behalf]',
    'op.yaml:3: privacy.pass_headers[0]: "x-on-behalf" cannot be passed: it is guard.initiator_header, which the guard believes only from trusted peers and removes',
  ],
  ['a duplicate, spelled differently', '[X-Hint, x-hint]', 'op.yaml:3: privacy.pass_headers[1]: duplicate header "x-hint" (first at line 3)'],
  [
    'not a token',
    '["X Hint"]',
    'op.yaml:3: privacy.pass_headers[0]: must be a SIP header name: letters, digits and - . ! % * _ + ` \' ~, no spaces or colon (got "X Hint")',
  ],
  [
    'a colon',
    '["X-Hint:"]',
    'op.yaml:3: privacy.pass_headers[0]: must be a SIP header name: letters, digits and - . ! % * _ + ` \' ~, no spaces or colon (got "X-Hint:")',
  ],
  ['not a list', 'X-Hint', 'op.yaml:3: privacy.pass_headers: must be a list (got "X-Hint")'],
];

for (const [name, list, message] of refused) {
  t.test(`pass_headers refuses ${name} with file:line and why`, async (t) => {
    t.equal(messageOf(profileWith(list)), message);
  });
}

t.test('pass_headers: one entry per line gets its own line number', async (t) => {
  const text = profileWith('', ['    - X-Fine', '    - To', '    - X-Also-Fine', '    - Route'].join('\n'));
  t.equal(
    messageOf(text),
    [
      'op.yaml:5: privacy.pass_headers[1]: "To" cannot be passed: the guard writes its own on each leg (a B2BUA, RFC 3261 16.6, 12.2)',
      'op.yaml:7: privacy.pass_headers[3]: "Route" cannot be passed: the guard writes its own on each leg (a B2BUA, RFC 3261 16.6, 12.2)',
    ].join('\n'),
  );
});

t.test('privacy.log_identities is gone: nothing read it', async (t) => {
  t.match(messageOf('privacy: { log_identities: clear }\npeers: []\n'), /^op\.yaml:1: privacy: unknown key "log_identities"/);
});
