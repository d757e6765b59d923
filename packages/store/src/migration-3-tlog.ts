/**
 * Migration 3: transparency logs (C2SP tlog-tiles), several per database, by name.
 *
 * One row per tile and per entry bundle, holding its widest version (narrower widths are
 * prefixes, see tlog-types.ts), and one checkpoint row per log. Appends rewrite only the right
 * edge of the tree: a handful of rows per commit whatever the log's size.
 */

import type { Migration } from './migration-types.js';

export const migration3: Migration = {
  version: 3,
  name: 'transparency_logs',
  sqlite: `
    CREATE TABLE tlog_checkpoints (
      log        TEXT    PRIMARY KEY NOT NULL,
      size       INTEGER NOT NULL CHECK (size >= 0),
      note       BLOB    NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE tlog_tiles (
      log        TEXT    NOT NULL,
      level      INTEGER NOT NULL CHECK (level >= 0),
      idx        INTEGER NOT NULL CHECK (idx >= 0),
      data       BLOB    NOT NULL,
      PRIMARY KEY (log, level, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE tlog_bundles (
      log        TEXT    NOT NULL,
      idx        INTEGER NOT NULL CHECK (idx >= 0),
      width      INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
      data       BLOB    NOT NULL,
      PRIMARY KEY (log, idx)
    ) STRICT, WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE tlog_checkpoints (
      log        TEXT COLLATE "C" PRIMARY KEY,
      size       BIGINT NOT NULL CHECK (size >= 0),
      note       BYTEA  NOT NULL
    );
    CREATE TABLE tlog_tiles (
      log        TEXT COLLATE "C" NOT NULL,
      level      INTEGER NOT NULL CHECK (level >= 0),
      idx        BIGINT  NOT NULL CHECK (idx >= 0),
      data       BYTEA   NOT NULL,
      PRIMARY KEY (log, level, idx)
    );
    CREATE TABLE tlog_bundles (
      log        TEXT COLLATE "C" NOT NULL,
      idx        BIGINT  NOT NULL CHECK (idx >= 0),
      width      INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
      data       BYTEA   NOT NULL,
      PRIMARY KEY (log, idx)
    );
  `,
};
