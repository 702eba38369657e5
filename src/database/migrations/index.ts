import { InitialSchema1763769600000 } from './1763769600000-InitialSchema';
import { DropVerificationCountryIndex1763856000000 } from './1763856000000-DropVerificationCountryIndex';
import { SandboxMessagesApp1764000000000 } from './1764000000000-SandboxMessagesApp';
import { InboxLeaseToken1764100000000 } from './1764100000000-InboxLeaseToken';
import { WebhookFairness1764200000000 } from './1764200000000-WebhookFairness';
import { TestNumbers1764300000000 } from './1764300000000-TestNumbers';
import { ConversionAnalytics1764600000000 } from './1764600000000-ConversionAnalytics';
import { BinaryKeyCollation1764900000000 } from './1764900000000-BinaryKeyCollation';
import { UsernameSenders1765000000000 } from './1765000000000-UsernameSenders';
import { DeliveryRouting1765100000000 } from './1765100000000-DeliveryRouting';
import { ConversionFold1765200000000 } from './1765200000000-ConversionFold';

/** Migrations in order; run at start-up and by `npm run migration:run`. */
export const MIGRATIONS = [
  InitialSchema1763769600000,
  DropVerificationCountryIndex1763856000000,
  SandboxMessagesApp1764000000000,
  InboxLeaseToken1764100000000,
  WebhookFairness1764200000000,
  TestNumbers1764300000000,
  ConversionAnalytics1764600000000,
  BinaryKeyCollation1764900000000,
  UsernameSenders1765000000000,
  DeliveryRouting1765100000000,
  ConversionFold1765200000000,
];
