/** What a CLI command may touch: its output streams and the environment. Injected so commands are testable. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}
