import { Command, CommanderError } from 'commander';
import { INestApplicationContext } from '@nestjs/common';
import { DomainException } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { checkDatabase, DatabaseUnavailableError } from '../database/database-check';
import { runPendingMigrations } from '../database/migrations-runner';
import { createApp, createKey, listApps, revokeKey, rotateWebhookSecret } from './app-commands';
import { loadCliConfig, withAppContext } from './cli-context';
import { listTemplates, syncTemplates } from './template-commands';
import { CliFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-errors';
import { runDoctor } from './doctor';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Commander's own outcomes that are not mistakes of the caller. */
const SUCCESS_CODES = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * `wa-verify <command>`: the service's operator commands, on the service's own configuration and
 * modules. Resolves with the exit code: 0 success, 1 a domain error or failed check (one line
 * `wa-verify: <code>: <message>` on stderr, never a stack trace), 2 bad arguments (usage on stderr).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError)
      return SUCCESS_CODES.has(error.code) ? EXIT_OK : EXIT_USAGE;
    io.stderr(`wa-verify: ${describeFailure(error)}\n`);
    return EXIT_FAILURE;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof CliFailure || error instanceof DomainException)
    return `${error.code}: ${error.message}`;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `internal_error: ${message}`;
}

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const printJson = (value: unknown): void => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  /** The configuration; like the service, one stderr line per suspicious variable. */
  const config = (): AppConfig => {
    const loaded = loadCliConfig(io.env);
    for (const warning of loaded.warnings) io.stderr(`wa-verify: warning: ${warning}\n`);
    return loaded;
  };
  const inApp = async (
    work: (context: INestApplicationContext) => Promise<unknown>,
  ): Promise<void> => {
    printJson(await withAppContext(config(), work));
  };

  const program = new Command('wa-verify')
    .description(
      'Operator commands of wa-verify, with the service’s configuration (.env and the environment).',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
    })
    .showHelpAfterError()
    .helpCommand(false);

  const apps = program.command('apps').description('Apps (tenants)');
  apps
    .command('create')
    .description(
      'Create an app; prints it as JSON with its API key and webhook secret (shown once)',
    )
    .requiredOption('--name <name>', 'display name')
    .option('--webhook-url <url>', 'where client webhooks are POSTed (https in production)')
    .action((options: { name: string; webhookUrl?: string }) =>
      inApp((context) => createApp(context, options)),
    );
  apps
    .command('list')
    .description('List apps as a JSON array with their active key ids (no secrets)')
    .action(() => inApp(listApps));

  const keys = program.command('keys').description('API keys of an app');
  keys
    .command('create')
    .description('Add an API key; prints { id, apiKey } (the key is shown once)')
    .requiredOption('--app <id>', 'app id')
    .action((options: { app: string }) => inApp((context) => createKey(context, options.app)));
  keys
    .command('revoke')
    .description('Revoke an API key at once')
    .requiredOption('--app <id>', 'app id')
    .requiredOption('--key <keyId>', 'API key id (see apps list)')
    .action((options: { app: string; key: string }) =>
      inApp((context) => revokeKey(context, options.app, options.key)),
    );

  const secret = program.command('webhook-secret').description('Client-webhook signing secret');
  secret
    .command('rotate')
    .description(
      'Rotate the webhook secret; prints the new one once (the previous one also signs for 24 h)',
    )
    .requiredOption('--app <id>', 'app id')
    .action((options: { app: string }) =>
      inApp((context) => rotateWebhookSecret(context, options.app)),
    );

  const templates = program
    .command('templates')
    .description('WhatsApp authentication templates on the Business Account (META_WABA_ID)');
  templates
    .command('list')
    .description(
      'List the templates named META_OTP_TEMPLATE: { data: [{ name, language, status, otpType }] }',
    )
    .action(() => inApp(listTemplates));
  templates
    .command('sync')
    .description(
      'Create the template in every META_TEMPLATE_LANGUAGES language that lacks it; prints { created, existing, failed }',
    )
    .action(async () => {
      const result = await withAppContext(config(), syncTemplates);
      printJson(result);
      // Refused languages make the run a failure (exit 1), after printing what happened.
      if (result.failed.length > 0) setExitCode(EXIT_FAILURE);
    });

  program
    .command('migrate')
    .description('Apply pending database migrations')
    .action(async () => {
      const { database } = config();
      try {
        await checkDatabase(database);
      } catch (error) {
        if (error instanceof DatabaseUnavailableError)
          throw new CliFailure('database_unavailable', error.message);
        throw error;
      }
      const ran = await runPendingMigrations(database);
      if (ran.length === 0) io.stdout('wa-verify: no pending migrations\n');
      for (const name of ran) io.stdout(`wa-verify: migrated ${name}\n`);
    });

  program
    .command('doctor')
    .description(
      'Check the configuration, database, migrations, Redis, provider credentials and webhook URLs',
    )
    .action(async () => {
      const ok = await runDoctor(io.env, (line) => io.stdout(`${line}\n`));
      setExitCode(ok ? EXIT_OK : EXIT_FAILURE);
    });

  return program;
}
