import t from 'tap';
import { normaliseIdentity, telAlias } from '../../src/sip/normalise-identity.ts';

// Consent records are looked up by these spellings: an AS that calls the user by another one
// must find the same record (a consent bypass otherwise).
t.test('one spelling per identity, whatever spelling an AS chooses', async (t) => {
  const number = 'tel:+15550002222';
  for (const spelling of ['tel:+1-555-000-2222', 'sip:+15550002222@ims.example.net;user=phone', 'sips:+15550002222@ims.example.net;user=phone']) {
    t.equal(normaliseIdentity(spelling), number, spelling);
  }
  // Without user=phone a SIP URI stays one (at another host it is another user), but consent
  // checks it under its tel: alias too.
  t.equal(normaliseIdentity('sip:+15550002222@partner.example'), 'sip:+15550002222@partner.example');
  t.equal(telAlias('sip:+1-555-000-2222@ims.example.net'), number);
  t.equal(telAlias('sips:+15550002222@ims.example.net'), number);
  t.equal(telAlias('sip:bob@ims.example.net'), null);
  t.equal(telAlias('tel:+15550002222'), null, 'a tel: URI is its own spelling');
  for (const spelling of ['sip:bob@ims.example.net', 'sips:bob@ims.example.net', 'sip:bob@IMS.Example.Net:5061;transport=tls']) {
    t.equal(normaliseIdentity(spelling), 'sip:bob@ims.example.net', spelling);
  }
  t.equal(normaliseIdentity('sip:5550002222@ims.example.net'), 'sip:5550002222@ims.example.net', 'a local number is no global one');
});
