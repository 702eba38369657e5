import { InitialSchema1763769600000 } from './1763769600000-InitialSchema';
import { DropVerificationCountryIndex1763856000000 } from './1763856000000-DropVerificationCountryIndex';
import { SandboxMessagesApp1764000000000 } from './1764000000000-SandboxMessagesApp';
import { WebhookFairness1764200000000 } from './1764200000000-WebhookFairness';
import { TestNumbers1764300000000 } from './1764300000000-TestNumbers';

/** Migrations in order; run at start-up and by `npm run migration:run`. */
export const MIGRATIONS = [
  InitialSchema1763769600000,
  DropVerificationCountryIndex1763856000000,
  SandboxMessagesApp1764000000000,
  WebhookFairness1764200000000,
  TestNumbers1764300000000,
];
