/** One thing wrong with a profile: the 1-based line it is on (0 when no line applies) and why. */
export interface ProfileProblem {
  readonly line: number;
  readonly reason: string;
}

/**
 * A profile that cannot be used. `file`, `line` and `reason` describe the first problem in
 * document order; `problems` lists every problem found (the first one included), and the
 * message has one `file:line: reason` line per problem.
 */
export class ProfileError extends Error {
  readonly problems: readonly ProfileProblem[];

  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    more: readonly ProfileProblem[] = [],
  ) {
    const problems = [{ line, reason }, ...more];
    super(problems.map((problem) => formatProblem(file, problem)).join('\n'));
    this.name = 'ProfileError';
    this.problems = problems;
  }

  /** Builds the error from a non-empty list of problems, keeping their order. */
  static of(file: string, problems: readonly ProfileProblem[]): ProfileError {
    const [first, ...more] = problems;
    if (first === undefined) {
      throw new RangeError('ProfileError.of needs at least one problem');
    }
    return new ProfileError(file, first.line, first.reason, more);
  }
}

/** `file:line: reason`, or `file: reason` for a problem with no line (the file could not be read). */
export function formatProblem(file: string, problem: ProfileProblem): string {
  return problem.line > 0 ? `${file}:${problem.line}: ${problem.reason}` : `${file}: ${problem.reason}`;
}
