/**
 * grants.capabilities through the step (src/call/step-initial.ts): what of the caller's
 * terminal capabilities an untrusted AS sees on a call the core hands it. Without the grant
 * (the default), the DC tags alone, the call keeping its DC; with it, every capability tag, but
 * never a string value (device ids, URIs, registration tokens). The wire tests of the default
 * are in test/helpers/capability-attacks.ts.
 */
import t from 'tap';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import { CORE, coreInvite } from '../helpers/controller-fixture.ts';
import { labProfile } from '../helpers/profile-fixture.ts';
import { StepWorld, sent } from '../helpers/step-fixture.ts';

const WEATHER_GRANTS = '      apps: ["com.example.weather"]\n      modify: own';
const UE_CONTACT =
  'Contact: <sip:alice@10.0.0.1:5060>;+sip.app-subtype="webrtc-datachannel";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video;+sip.instance="<urn:gsma:imei:35209900-176148-1>";description="<Alice\'s phone>";expires=600';

function atAs(capabilities: boolean): ReturnType<typeof sent> {
  const profile = labProfile({ weatherGrants: `${WEATHER_GRANTS}${capabilities ? '\n      capabilities: true' : ''}` });
  t.equal(profile.peers.find((p) => p.id === 'weather-as')?.grants.capabilities, capabilities, `the profile grants capabilities: ${String(capabilities)}`);
  const invite = coreInvite({
    route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'],
    extra: [
      'Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";+sip.instance="<urn:gsma:imei:35209900-176148-1>";require',
      'Feature-Caps: *;+g.3gpp.srvcc;+g.3gpp.registration-token="<35209900>"',
    ],
  }).replace('Contact: <sip:alice@10.0.0.1:5060>', UE_CONTACT);
  return sent(new StepWorld(profile).send(invite, CORE).outcome);
}

t.test('without grants.capabilities: the DC tags alone reach the AS', async (t) => {
  const msg = atAs(false);
  t.equal(getHeader(msg, 'Contact'), '<sip:127.0.0.10:5060>;+sip.app-subtype="webrtc-datachannel"');
  t.equal(getHeader(msg, 'Accept-Contact'), undefined, 'no DC tag in it: nothing of it');
  t.equal(getHeader(msg, 'Feature-Caps'), undefined);
});

t.test('with grants.capabilities: the capability tags reach the AS, string values never', async (t) => {
  const msg = atAs(true);
  t.equal(getHeader(msg, 'Contact'), '<sip:127.0.0.10:5060>;+sip.app-subtype="webrtc-datachannel";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";video');
  t.strictSame(getHeaderValues(msg, 'Accept-Contact'), ['*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";require']);
  t.strictSame(getHeaderValues(msg, 'Feature-Caps'), ['*;+g.3gpp.srvcc']);
});
