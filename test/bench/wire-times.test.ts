import t from 'tap';
import { inviteTo200Times } from '../../bench/wire-times.ts';

/** One pcap record: Ethernet (link type 1) + IPv4 + UDP around `sip`, at `seconds` + `micros`. */
function record(seconds: number, micros: number, sip: string): Buffer {
  const payload = Buffer.from(sip, 'latin1');
  const frame = Buffer.alloc(14 + 20 + 8 + payload.length);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45; // IPv4, 20-byte header
  payload.copy(frame, 14 + 20 + 8);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(seconds, 0);
  head.writeUInt32LE(micros, 4);
  head.writeUInt32LE(frame.length, 8);
  head.writeUInt32LE(frame.length, 12);
  return Buffer.concat([head, frame]);
}

function pcap(...records: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  return Buffer.concat([head, ...records]);
}

const invite = (callId: string): string => `INVITE sip:bob@127.0.0.2 SIP/2.0\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\n\r\n`;
const ok = (callId: string, method: string): string => `SIP/2.0 200 OK\r\ni: ${callId}\r\nCSeq: 1 ${method}\r\n\r\n`;

t.test('each call: first INVITE to first 200 for CSeq INVITE, at the capture clock', async (t) => {
  const times = inviteTo200Times(
    pcap(
      record(100, 0, invite('a')),
      record(100, 250, `SIP/2.0 100 Trying\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n`),
      record(100, 500_000, invite('a')), // a retransmission does not restart the clock
      record(100, 999_999, invite('b')),
      record(101, 4_200, ok('b', 'INVITE')),
      record(101, 4_100, ok('a', 'INVITE')),
      record(101, 9_000, ok('a', 'INVITE')), // retransmitted 200: not a second call
      record(102, 0, ok('a', 'BYE')),
    ),
  );
  t.equal(times.length, 2);
  t.ok(Math.abs((times[0] ?? 0) - 4.201) < 1e-6, `call b: ${times[0]} ms`);
  t.ok(Math.abs((times[1] ?? 0) - 1004.1) < 1e-6, `call a: ${times[1]} ms`);
});

t.test('a 200 with no INVITE seen, a truncated record and a non-SIP packet are ignored', async (t) => {
  const whole = pcap(record(5, 0, ok('x', 'INVITE')), record(5, 10, 'not sip at all'), record(5, 20, invite('y')));
  t.same(inviteTo200Times(whole.subarray(0, whole.length - 5)), []);
  t.same(inviteTo200Times(Buffer.alloc(3)), []);
});

t.test('a link type the reader does not know is refused, not misread', async (t) => {
  const file = pcap(record(1, 0, invite('z')));
  file.writeUInt32LE(105, 20); // IEEE 802.11
  t.throws(() => inviteTo200Times(file), /link type 105/);
});
