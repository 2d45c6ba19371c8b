/**
 * The `node-relay` floor of `npm run bench:sip`, the program of its child process: the least a
 * Node process can do per SIP message, every datagram read and sent on as it came (no parse, no
 * state, no log). What the guard costs per call beyond it is the guard's own work; what this
 * costs is Node's and the kernel's, which no change to the guard can take away. It faces one
 * caller on RELAY_CALLER_SIDE and sends everything to RELAY_CALLEE; what comes back from the
 * callee goes to the last address the caller sent from. Prints "relay listening" when bound.
 */
import { createSocket } from 'node:dgram';

function address(name: string): { readonly ip: string; readonly port: number } {
  const [ip = '', port = ''] = (process.env[name] ?? '').split(':');
  if (ip === '' || !/^\d+$/.test(port)) {
    throw new Error(`${name} must be ip:port`);
  }
  return { ip, port: Number(port) };
}

const callerSide = address('RELAY_CALLER_SIDE');
const calleeSide = address('RELAY_CALLEE_SIDE');
const callee = address('RELAY_CALLEE');
const towardCaller = createSocket('udp4');
const towardCallee = createSocket('udp4');
let caller: { address: string; port: number } | null = null;

towardCaller.on('message', (datagram, from) => {
  caller = { address: from.address, port: from.port };
  towardCallee.send(datagram, callee.port, callee.ip);
});
towardCallee.on('message', (datagram) => {
  if (caller !== null) {
    towardCaller.send(datagram, caller.port, caller.address);
  }
});
let bound = 0;
const ready = (): void => {
  if (++bound === 2) {
    process.stdout.write('relay listening\n');
  }
};
towardCaller.bind(callerSide.port, callerSide.ip, ready);
towardCallee.bind(calleeSide.port, calleeSide.ip, ready);
process.once('SIGTERM', () => {
  towardCaller.close();
  towardCallee.close();
});
