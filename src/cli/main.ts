#!/usr/bin/env node
import 'reflect-metadata';
import { loadDotenv } from '../config/dotenv';
import { runCli } from './cli';

/**
 * The `wa-verify` command (package.json `bin`; `npx wa-verify <command>` after `npm run build`).
 * Loads `.env` like the service, runs one command, and exits with its code once the output is
 * written (the application context is already closed; a stray handle never keeps it waiting).
 */
loadDotenv();
void runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    process.stderr.write(
      `wa-verify: internal_error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    exitAfterFlush(1);
  },
);

function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
