#!/usr/bin/env node
import type { CliIo } from './cli-io.ts';
import { main } from './main.ts';

const io: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
};

process.exitCode = await main(process.argv.slice(2), io);
