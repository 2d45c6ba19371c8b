import type { ChildProcess } from 'node:child_process';

/** The JSON lines a child writes on stdout, and a wait for one of them. */
export function logsOf(child: ChildProcess): { lines: Record<string, unknown>[]; seen: (msg: string) => Promise<Record<string, unknown> | undefined> } {
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      if (line.startsWith('{')) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    }
  });
  const seen = async (msg: string): Promise<Record<string, unknown> | undefined> => {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const found = lines.find((l) => l.msg === msg);
      if (found !== undefined) {
        return found;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  };
  return { lines, seen };
}
