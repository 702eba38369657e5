import { InitialSchema1763769600000 } from './1763769600000-InitialSchema';

/** Migrations in order; run at start-up and by `npm run migration:run`. */
export const MIGRATIONS = [InitialSchema1763769600000];
