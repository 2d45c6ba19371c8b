/**
 * Level 1: the SIP parser alone (src/sip/sip-parser.ts parseSipMessage) on mutated wire bytes.
 * Its contract: a message, or SipParseError (which the transport answers 400/413/505/513).
 * Anything else thrown is a crash. A message it accepts must survive serialize + parse again,
 * since that is how the guard sends on what it read.
 */
import fc from 'fast-check';
import { SipParseError } from '../src/sip/sip-parse-error.ts';
import { parseSipMessage } from '../src/sip/sip-parser.ts';
import { encodeSipMessage } from '../src/sip/sip-serializer.ts';
import type { FuzzTally } from './findings.ts';
import { mutatedInputArb } from './mutation-arbitrary.ts';
import { mutate, type MutatedInput } from './mutations.ts';

export interface ParserCase {
  readonly seed: number;
  readonly input: MutatedInput;
}

export function parserCaseArb(seedCount: number): fc.Arbitrary<ParserCase> {
  return fc.record({ seed: fc.nat({ max: seedCount - 1 }), input: mutatedInputArb });
}

/** What happened to one input: refused (SipParseError), accepted, or a finding's detail. */
export type ParserVerdict = { readonly kind: 'refused' | 'accepted' } | { readonly kind: 'crash' | 'unparseable-output'; readonly detail: string };

export function parseOnce(bytes: string): ParserVerdict {
  let message;
  try {
    message = parseSipMessage(Buffer.from(bytes, 'latin1'));
  } catch (error) {
    if (error instanceof SipParseError) {
      return { kind: 'refused' };
    }
    return { kind: 'crash', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  try {
    // The wire encoding (bodies are byte strings, written as latin1), as the transport sends it.
    parseSipMessage(encodeSipMessage(message));
  } catch (error) {
    return { kind: 'unparseable-output', detail: `accepted, but its re-serialization is refused: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { kind: 'accepted' };
}

export function runParserCase(seeds: readonly string[], testCase: ParserCase, tally: FuzzTally): void {
  const bytes = mutate(seeds[testCase.seed] ?? '', testCase.input, seeds);
  tally.inputs.parser += 1;
  const verdict = parseOnce(bytes);
  if (verdict.kind === 'refused') {
    tally.refused.parser += 1;
  } else if (verdict.kind === 'crash' || verdict.kind === 'unparseable-output') {
    tally.add({ level: 'parser', kind: verdict.kind, detail: verdict.detail, input: bytes, testCase });
  }
}
