/** The UDP sockets' address lookup: literals answered in the same turn, names through DNS. */
import dgram from 'node:dgram';
import t from 'tap';
import { literalFirstLookup } from '../../src/transport/udp-sockets.ts';

t.test('an IP literal is answered before the call returns, with its family', async (t) => {
  const answers: Array<[string, number]> = [];
  literalFirstLookup('127.0.0.5', { family: 4 }, (err, address, family) => {
    t.equal(err, null);
    answers.push([address, family]);
  });
  literalFirstLookup('::1', { family: 6 }, (_err, address, family) => answers.push([address, family]));
  t.same(answers, [
    ['127.0.0.5', 4],
    ['::1', 6],
  ], 'both answered synchronously');
});

t.test('a host name still goes to DNS (localhost from the hosts file)', async (t) => {
  const got = await new Promise<[string, number]>((resolve, reject) => {
    literalFirstLookup('localhost', { family: 4 }, (err, address, family) => (err ? reject(err) : resolve([address, family])));
  });
  t.equal(got[1], 4);
  t.match(got[0], /^127\./);
});

t.test('a socket with this lookup sends to a literal and to a name', async (t) => {
  const receiver = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  t.teardown(() => receiver.close());
  const sender = dgram.createSocket({ type: 'udp4', lookup: literalFirstLookup });
  t.teardown(() => sender.close());
  const port = receiver.address().port;
  const seen: string[] = [];
  const both = new Promise<void>((resolve) => {
    receiver.on('message', (buf) => {
      seen.push(buf.toString());
      if (seen.length === 2) {
        resolve();
      }
    });
  });
  await new Promise<void>((resolve, reject) => sender.send('to-literal', port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve, reject) => sender.send('to-name', port, 'localhost', (err) => (err ? reject(err) : resolve())));
  await both;
  t.same(seen.sort(), ['to-literal', 'to-name']);
});
