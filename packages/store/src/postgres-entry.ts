/**
 * `@saferouter/store/postgres`: the Postgres backend on its own subpath, so that only code that
 * opens a Postgres store loads postgres.js (the main entry loads no driver; its `openStore`
 * imports this backend lazily).
 *
 * @example
 * import { openPostgresStore } from '@saferouter/store/postgres';
 * const store = await openPostgresStore({ url: process.env.DATABASE_URL ?? '' });
 */
export { openPostgresStore, type PostgresStoreOptions } from './postgres.js';
