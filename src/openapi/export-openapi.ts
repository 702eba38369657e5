/**
 * `npm run openapi:export [file]`: writes the OpenAPI document to openapi.json (or `file`), so
 * generated clients and the linter read one committed file. Boots the real application on a
 * throwaway SQLite database in test mode, without listening and without any provider credential.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp } from '../bootstrap';
import { loadConfig } from '../config/app-config';
import { buildOpenApiDocument, openApiDocumentProblems } from './openapi';

async function main(): Promise<void> {
  const target = resolve(process.argv[2] ?? 'openapi.json');
  const scratch = mkdtempSync(join(tmpdir(), 'wa-verify-openapi-'));
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${join(scratch, 'db.sqlite')}`,
      DATA_DIR: scratch,
      ADMIN_API_KEY: 'openapi-export-admin-key-0123456789',
      OTP_PEPPER: 'openapi-export-pepper-0123456789',
      CREATE_DEFAULT_APP: 'false',
      LOG_LEVEL: 'error',
    });
    const app = await createApp(config, { logger: false });
    try {
      const document = buildOpenApiDocument(app);
      const problems = openApiDocumentProblems(document);
      if (problems.length)
        throw new Error(`the OpenAPI document is not right:\n${problems.join('\n')}`);
      writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
    } finally {
      await app.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`OpenAPI document written to ${target}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `openapi:export failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
