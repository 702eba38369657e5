import { InitialSchema1763769600000 } from './1763769600000-InitialSchema';
import { DropVerificationCountryIndex1763856000000 } from './1763856000000-DropVerificationCountryIndex';
import { InboxLeaseToken1764100000000 } from './1764100000000-InboxLeaseToken';
import { BinaryKeyCollation1764100000001 } from './1764100000001-BinaryKeyCollation';

/** Migrations in order; run at start-up and by `npm run migration:run`. */
export const MIGRATIONS = [
  InitialSchema1763769600000,
  DropVerificationCountryIndex1763856000000,
  InboxLeaseToken1764100000000,
  BinaryKeyCollation1764100000001,
];
