/**
 * INVITE-to-200 times read off the wire, to the microsecond. sipp's own response times come in
 * steps of its clock (4 ms on the machines this was written on: every value is 0, 4, 8 …), too
 * coarse to tell whether the guard adds 1 ms or 5 at the p99. When tcpdump is installed, each
 * measured run is also captured on loopback at the caller's address, and the time from each
 * call's first INVITE to its first 200 (CSeq INVITE) is read from the capture's timestamps.
 * The capture is of the caller's packets only (about five per call), so tcpdump's own CPU is small.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface WireCapture {
  /** Ends the capture and reads it: one INVITE-to-200 time (ms) per call that got its 200. */
  stop(): Promise<number[]>;
}

/** Why the capture cannot run here, or null when it can. */
export function wireCaptureMissing(): string | null {
  if (process.env.BENCH_WIRE_TIMES === '0') {
    return 'BENCH_WIRE_TIMES=0';
  }
  return spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0 ? null : 'tcpdump is not installed';
}

/** Starts tcpdump on `lo` for UDP to and from `peer`, and resolves once it is listening. */
export async function startWireCapture(peer: { readonly ip: string; readonly port: number }, file: string): Promise<WireCapture> {
  const child = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '-B', '16384', '-w', file, `udp and host ${peer.ip} and port ${peer.port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  await new Promise<void>((ready, fail) => {
    let said = '';
    const timer = setTimeout(() => fail(new Error(`tcpdump did not start listening: ${said}`)), 5_000);
    child.stderr.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('listening on')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('close', () => {
      clearTimeout(timer);
      fail(new Error(`tcpdump exited: ${said}`));
    });
  });
  return {
    stop: async () => {
      child.kill('SIGINT');
      await closed;
      return inviteTo200Times(readFileSync(file));
    },
  };
}

/** Link-layer header lengths of the link types loopback captures come in. */
const LINK_HEADER: Readonly<Record<number, number>> = { 0: 4, 1: 14, 113: 16, 276: 20 };

/** INVITE-to-200 times (ms) of a pcap file of SIP over UDP/IPv4, per Call-ID: first INVITE to first 200 for CSeq INVITE. */
export function inviteTo200Times(pcap: Buffer): number[] {
  if (pcap.length < 24) {
    return [];
  }
  const magic = pcap.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (at: number): number => (little ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const link = LINK_HEADER[u32(20)];
  if (link === undefined) {
    throw new Error(`capture has link type ${u32(20)}, which this reader does not know`);
  }
  const invited = new Map<string, number>();
  const times: number[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const ms = u32(at) * 1e3 + u32(at + 4) / (nanos ? 1e6 : 1e3);
    const captured = u32(at + 8);
    const ip = at + 16 + link;
    at += 16 + captured;
    if (at > pcap.length || (pcap[ip] ?? 0) >> 4 !== 4) {
      continue;
    }
    const payload = pcap.toString('latin1', ip + ((pcap[ip] ?? 0) & 0x0f) * 4 + 8, at);
    const callId = header(payload, /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/i);
    const cseq = header(payload, /\r\n(?:CSeq)[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)/i);
    if (callId === null || cseq?.toUpperCase() !== 'INVITE') {
      continue;
    }
    if (payload.startsWith('INVITE ')) {
      if (!invited.has(callId)) {
        invited.set(callId, ms);
      }
    } else if (payload.startsWith('SIP/2.0 200')) {
      const sent = invited.get(callId);
      if (sent !== undefined && sent >= 0) {
        times.push(ms - sent);
        invited.set(callId, -1); // a retransmitted 200 is not a second call
      }
    }
  }
  return times;
}

function header(payload: string, pattern: RegExp): string | null {
  return pattern.exec(payload)?.[1]?.trim() ?? null;
}
