/**
 * `node --import tsx bench/compare-trees.ts <other-checkout>`: the path users run (the untrusted
 * AS's INVITE of bench-fixtures.ts, whose ads channel the guard strips: SIP parse, B2BUA
 * controller, serialization) in this checkout and in another one (say, `git worktree add
 * /tmp/base <commit>` with node_modules linked), in one process, rounds interleaved A B B A …,
 * so both meet the same machine. Prints the median µs/op of each and their ratio.
 */
import { resolve } from 'node:path';
import type * as BuildController from '../src/call/build-controller.ts';
import type * as LoadProfile from '../src/profile/load-profile.ts';
import type * as SipParser from '../src/sip/sip-parser.ts';
import type * as SipSerializer from '../src/sip/sip-serializer.ts';
import { INVITE, PROFILE_YAML as PROFILE } from './bench-fixtures.ts';

const other = process.argv[2];
if (other === undefined) {
  console.error('usage: node --import tsx bench/compare-trees.ts <other-checkout>');
  process.exit(2);
}
const trees = { other: resolve(other), this: resolve(import.meta.dirname, '..') };

interface Tree {
  run(): Promise<void>;
}

async function load(root: string): Promise<Tree> {
  const { buildController } = (await import(`${root}/src/call/build-controller.ts`)) as typeof BuildController;
  const { parseProfile } = (await import(`${root}/src/profile/load-profile.ts`)) as typeof LoadProfile;
  const { parseSipMessage } = (await import(`${root}/src/sip/sip-parser.ts`)) as typeof SipParser;
  const { serializeSipMessage } = (await import(`${root}/src/sip/sip-serializer.ts`)) as typeof SipSerializer;
  const controller = buildController(parseProfile(PROFILE, 'compare.yaml'), { env: {} });
  let n = 0;
  return {
    async run() {
      n += 1;
      const request = parseSipMessage(INVITE.replace('bench-CALL', `c-${n}`));
      const outcome = request.kind === 'request' ? await controller.handleRequest(request, { address: '127.0.0.3', port: 5060, transport: 'udp' }) : null;
      if (outcome?.kind !== 'forward' || !serializeSipMessage(outcome.message).includes('m=application')) {
        throw new Error(`${root}: the INVITE was not forwarded`);
      }
    },
  };
}

const loaded = { other: await load(trees.other), this: await load(trees.this) };
const perOp: Record<keyof typeof trees, number[]> = { other: [], this: [] };
const ROUNDS = 24;
const OPS = 1_500;
for (let round = 0; round < ROUNDS; round += 1) {
  for (const name of round % 2 === 0 ? (['other', 'this'] as const) : (['this', 'other'] as const)) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i += 1) {
      await loaded[name].run();
    }
    // The first rounds warm both trees up and are not counted.
    if (round >= 4) {
      perOp[name].push(Number(process.hrtime.bigint() - start) / OPS / 1_000);
    }
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const a = median(perOp.other);
const b = median(perOp.this);
console.log(`untrusted-AS INVITE, µs/op (median of ${ROUNDS - 4} rounds of ${OPS}): ${trees.other} ${a.toFixed(1)}, this checkout ${b.toFixed(1)}; this / other = ${(b / a).toFixed(2)}`);
