/** ConsentBook with the API overlay: an API record replaces the profile's record for its user as a whole. */
import t from 'tap';
import { ConsentBook } from '../../src/policy/consent.ts';
import { MemoryConsentStore } from '../../src/state/memory-consent-store.ts';

t.test('the API record replaces the profile record; other users keep theirs; deleting restores it', async (t) => {
  const store = new MemoryConsentStore();
  const book = new ConsentBook(
    { default: 'deny', users: { 'tel:+15550001111': { allow: ['weather-as'], deny: [] }, 'tel:+15550003333': { allow: ['weather-as'], deny: [] } } },
    store.overlay,
  );
  t.ok(book.allows('tel:+1-555-000-1111', 'weather-as', 'com.example.weather'), 'the profile record');
  await store.put('tel:+15550001111', { allow: ['games-as'], deny: [] });
  t.notOk(book.allows('tel:+15550001111', 'weather-as', 'com.example.weather'), 'the profile entry is gone with its record: consent.default (deny) applies');
  t.ok(book.allows('sip:+15550001111@ims.example.net;user=phone', 'games-as', null), 'the API entry, for any spelling of the user');
  t.ok(book.allows('tel:+15550003333', 'weather-as', 'com.example.weather'), 'another user keeps the profile record');
  t.equal(await store.delete('tel:+15550001111'), true);
  t.equal(await store.delete('tel:+15550001111'), false, 'nothing left to delete');
  t.ok(book.allows('tel:+15550001111', 'weather-as', 'com.example.weather'), 'the profile record again');
});

t.test('a profile with no records still reads the overlay', async (t) => {
  const store = new MemoryConsentStore();
  const book = new ConsentBook({ default: 'allow', users: {} }, store.overlay);
  t.ok(book.allows('sip:alice@ims.example.net', 'weather-as', 'bootstrap'));
  await store.put('sip:alice@ims.example.net', { allow: [], deny: ['weather-as:bootstrap'] });
  t.notOk(book.allows('sip:alice@IMS.example.net:5060', 'weather-as', 'bootstrap'), 'denied through the overlay alone');
  t.ok(book.allows('sip:alice@ims.example.net', 'weather-as', 'com.example.weather'), 'only the entry it names');
});
