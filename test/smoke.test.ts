import t from 'tap';
import { parse } from 'sdp-transform';
t.test('sdp-transform loads', async (t) => {
  t.equal(parse('v=0\r\nm=audio 1 RTP/AVP 0\r\n').media.length, 1);
});
