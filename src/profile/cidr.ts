/**
 * IP addresses and CIDR blocks as numbers, for profile validation and peer matching.
 *
 * node's `net.isIP` decides what is a valid address; this module only turns the text into
 * a bigint so that prefixes can be compared (node's BlockList answers "inside or not" but
 * cannot tell which of several overlapping blocks is the longest).
 */
import { isIP } from 'node:net';

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits zero). */
  readonly network: bigint;
  readonly prefix: number;
  /** Bits that must be equal for an address to be inside the block. */
  readonly mask: bigint;
  /** Canonical spelling ("10.0.0.0/8", "2001:db8::/32"). */
  readonly text: string;
}

export type CidrResult = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly reason: string };

const BITS: Readonly<Record<IpFamily, number>> = { 4: 32, 6: 128 };

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone id are accepted and dropped). */
export function parseIpAddress(text: string): IpAddress | undefined {
  let address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = address.indexOf('%');
  if (zone >= 0) {
    address = address.slice(0, zone);
  }
  const family = isIP(address);
  if (family === 4) {
    return { family: 4, value: ipv4Value(address) };
  }
  if (family === 6) {
    return { family: 6, value: ipv6Value(address) };
  }
  return undefined;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it carries; anything else unchanged. */
export function unmapIpv4(address: IpAddress): IpAddress {
  if (address.family === 6 && address.value >> 32n === 0xffffn) {
    return { family: 4, value: address.value & 0xffffffffn };
  }
  return address;
}

/** Parses "address/prefix" strictly: the prefix is required and the host bits must be zero. */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const single = parseIpAddress(text);
    if (single !== undefined && !text.includes('%') && !text.startsWith('[')) {
      return fail(`not a CIDR: "${text}" (write "${text}/${BITS[single.family]}" for a single address)`);
    }
    return fail(`not a CIDR: "${text}"`);
  }
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = isIP(addressText);
  if ((family !== 4 && family !== 6) || addressText.includes('%')) {
    return fail(`not a CIDR: "${text}"`);
  }
  const bits = BITS[family];
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return fail(`not a CIDR: "${text}" (the prefix length must be 0-${bits})`);
  }
  const prefix = Number(prefixText);
  const value = family === 4 ? ipv4Value(addressText) : ipv6Value(addressText);
  const mask = maskOf(family, prefix);
  const network = value & mask;
  const canonical = `${formatIp({ family, value: network })}/${prefix}`;
  if (network !== value) {
    return fail(`host bits set in "${text}" (did you mean "${canonical}"?)`);
  }
  if (family === 6 && prefix >= 96 && network >> 32n === 0xffffn) {
    // Mapped addresses are matched as IPv4 (see PeerDirectory), so such a block would never match.
    const v4 = `${formatIp({ family: 4, value: network & 0xffffffffn })}/${prefix - 96}`;
    return fail(`IPv4-mapped block "${text}": write it as IPv4 ("${v4}")`);
  }
  return { ok: true, cidr: { family, network, prefix, mask, text: canonical } };
}

/** True when the address lies inside the block (same family only). */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return cidr.family === address.family && (address.value & cidr.mask) === cidr.network;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) {
    groups.push(Number((address.value >> shift) & 0xffffn));
  }
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 4.2.2: a single zero group is not shortened
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) {
      j += 1;
    }
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) {
    return hex.join(':');
  }
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function fail(reason: string): CidrResult {
  return { ok: false, reason };
}

function maskOf(family: IpFamily, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** Only called on text net.isIP accepted as IPv4. */
function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(part), 0n);
}

/** Only called on text net.isIP accepted as IPv6 (so at most one "::"). */
function ipv6Value(text: string): bigint {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded IPv4 in the low 32 bits (::ffff:1.2.3.4): rewrite it as two hex groups.
    const v4 = ipv4Value(last);
    body = `${body.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const groupsOf = (part: string): bigint[] => (part === '' ? [] : part.split(':').map((g) => BigInt(`0x${g}`)));
  const [headText = '', tailText] = body.split('::');
  const head = groupsOf(headText);
  const tail = tailText === undefined ? [] : groupsOf(tailText);
  const zeros = Array.from({ length: 8 - head.length - tail.length }, () => 0n);
  return [...head, ...zeros, ...tail].reduce((acc, g) => (acc << 16n) | g, 0n);
}
