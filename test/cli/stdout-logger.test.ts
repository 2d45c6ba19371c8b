import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs a node program that logs `lines` lines through the run command's logger, then ends as `end` says. */
function logThenEnd(lines: number, end: 'return' | 'crash'): Promise<{ stdout: string; code: number | null }> {
  const program = `
    import { createStdoutLogger } from ${JSON.stringify(resolve(ROOT, 'src/log/logger.ts'))};
    const logger = createStdoutLogger('info');
    for (let i = 0; i < ${lines}; i++) logger.info({ i }, 'decision');
    ${end === 'crash' ? "throw new Error('crash after logging');" : ''}
  `;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('close', (code) => done({ stdout, code }));
  });
}

const indices = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { i: number }).i);

t.test('every line written before the process ends by itself, in order', async (t) => {
  const { stdout, code } = await logThenEnd(20_000, 'return');
  t.equal(code, 0);
  const seen = indices(stdout);
  t.equal(seen.length, 20_000);
  t.ok(seen.every((v, i) => v === i), 'in order');
});

t.test('the lines buffered when the process crashes are written before it exits', async (t) => {
  const { stdout, code } = await logThenEnd(20_000, 'crash');
  t.equal(code, 1, 'the crash still ends the process');
  t.equal(indices(stdout).length, 20_000);
});

t.test('a lone line is written while the process lives on, not held for a batch', async (t) => {
  const program = `
    import { createStdoutLogger } from ${JSON.stringify(resolve(ROOT, 'src/log/logger.ts'))};
    createStdoutLogger('info').info('guard started');
    setTimeout(() => {}, 30_000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((done) => {
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (chunk: string) => done(chunk));
  });
  t.match(line, /"msg":"guard started"/);
  t.equal(child.exitCode, null, 'written while the process still runs');
});
