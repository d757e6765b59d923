/**
 * The Postgres implementation of `Store`, on postgres.js (porsager): for deployments that run
 * several gateway processes against one database. Same interface, same conformance suite and
 * same migrations as SQLite; the money operations are written so that any number of processes
 * can run them concurrently (see `postgres-billing.ts`).
 */
import { InvalidArgumentError } from '@saferouter/errors';

import postgres from 'postgres';
import { StoreError } from './errors.js';
import { createPostgresActivityStore } from './postgres-activity.js';
import { createPostgresAuditStore } from './postgres-audit.js';
import { createPostgresBillingStore } from './postgres-billing.js';
import { createPostgresByokStore } from './postgres-byok.js';
import { createPostgresKeyReleaseStore } from './postgres-key-release.js';
import { createPostgresKeyStore, createPostgresMetaStore } from './postgres-keys.js';
import { applyPostgresMigrations } from './postgres-migrate.js';
import { createPostgresTlogStores } from './postgres-tlog.js';
import { PG_TYPES, type PgSql } from './postgres-sql.js';
import type { Store } from './types.js';
import { assertInteger, assertObject, assertString } from './validate.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/db`. Never echoed in errors. */
  url: string;
  /** Pool size: connections this process may open. Default 10. */
  max?: number | undefined;
  /**
   * Schema to create and use the tables in, set as the connection's `search_path`. It must
   * already exist. Default: the database's default schema (normally `public`).
   */
  schema?: string | undefined;
}

/** A plain, unquoted identifier; anything fancier is a configuration mistake. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Connects, migrates (once, even when many processes start together) and returns the store.
 *
 * @example
 * const store = await openPostgresStore({ url: process.env.DATABASE_URL ?? '' });
 * await store.billing.balance('key_0123456789abcdef');
 * await store.close();
 * @throws {TypeError | RangeError} on malformed options; a bad URL's text is not repeated.
 * @throws {StoreError} `schema` when the database was migrated by a newer build.
 * @throws {Error} from the driver when the server cannot be reached or refuses the login.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const sql = connectPostgres(options);
  try {
    await applyPostgresMigrations(sql);
  } catch (err) {
    await sql.end({ timeout: 0 });
    throw err;
  }
  return createPostgresStore(sql);
}

/** Validates options and builds the pool; connects lazily, on the first query. */
function connectPostgres(options: PostgresStoreOptions): PgSql {
  assertObject(options, 'options');
  const { url, max = 10, schema } = options;
  assertString(url, 'options.url', { min: 1, max: 4096 });
  assertInteger(max, 'options.max', { min: 1, max: 1000 });
  if (schema !== undefined) {
    assertString(schema, 'options.schema', { min: 1, max: 63 });
    if (!SCHEMA_PATTERN.test(schema)) {
      throw new InvalidArgumentError(
        'options.schema',
        'options.schema must be a lowercase identifier (a-z, 0-9, _)',
        'range',
      );
    }
  }
  // The URL carries the password. The driver parses it with `new URL()`, whose error keeps the
  // input, so a parse failure is replaced by one that names the option and nothing else.
  if (!/^postgres(?:ql)?:\/\//.test(url))
    throw new InvalidArgumentError('options.url', 'options.url must start with postgres://', 'range');
  try {
    return postgres(url, {
      max,
      types: PG_TYPES,
      // Notices such as "relation already exists, skipping" would otherwise go to console.log.
      onnotice: () => undefined,
      // The store uses no array types, so skip the catalog query on every new connection.
      fetch_types: false,
      ...(schema === undefined ? {} : { connection: { search_path: schema } }),
    });
  } catch {
    throw new InvalidArgumentError('options.url', 'options.url is not a valid Postgres URL', 'range');
  }
}

function createPostgresStore(sql: PgSql): Store {
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreError('closed', 'The store has been closed');
  };
  return {
    kind: 'postgres',
    keys: createPostgresKeyStore(sql, ensureOpen),
    meta: createPostgresMetaStore(sql, ensureOpen),
    billing: createPostgresBillingStore(sql, ensureOpen),
    activity: createPostgresActivityStore(sql, ensureOpen),
    tlog: createPostgresTlogStores(sql, ensureOpen),
    audit: createPostgresAuditStore(sql, ensureOpen),
    byok: createPostgresByokStore(sql, ensureOpen),
    keyRelease: createPostgresKeyReleaseStore(sql, ensureOpen),
    async ping() {
      ensureOpen();
      await sql`SELECT 1`;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Lets in-flight queries finish for a moment, then closes the sockets.
      await sql.end({ timeout: 5 });
    },
  };
}
