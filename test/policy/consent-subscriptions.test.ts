import t from 'tap';
import { ConsentBook } from '../../src/policy/consent.ts';

t.test('consent apps_only: a user subscribed to some applications gets application DCs only for them, from any AS; bootstrap is not affected; deny still wins', async (t) => {
  const book = new ConsentBook({
    default: 'allow',
    users: {
      'sip:bob@ims.example.net': { allow: ['weather-as:com.example.ads'], deny: ['games-as'], appsOnly: ['com.example.weather'] },
    },
  });
  t.ok(book.allows('sip:bob@ims.example.net', 'weather-as', 'com.example.weather'), 'a subscribed app');
  t.notOk(book.allows('sip:bob@ims.example.net', 'weather-as', 'com.example.ads'), 'an app not subscribed to, even though allow names it');
  t.notOk(book.allows('sip:bob@ims.example.net', 'weather-as', null), 'an application channel without an app id');
  t.ok(book.allows('sip:bob@ims.example.net', 'weather-as', 'bootstrap'), 'bootstrap channels are not subscriptions');
  t.notOk(book.allows('sip:bob@ims.example.net', 'games-as', 'com.example.weather'), 'a deny still wins');
  t.ok(book.allows('sip:carol@ims.example.net', 'weather-as', 'com.example.ads'), 'other users are untouched');
});
