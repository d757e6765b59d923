/** The directory storage: the shared conformance suite, plus its on-disk layout. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../encoding/bytes.js';
import { generateSignerKey } from '../note/keys.js';
import { createAppender } from '../tiles/appender.js';
import { describeTileStorageConformance } from '../tiles/storage-conformance.js';
import { verifyTileLog } from '../tiles/tile-log-verifier.js';
import { createDirectoryTileFetch } from './directory-fetch.js';
import { createDirectoryTileStorage } from './directory-storage.js';

describe('directory tile storage', () => {
  describeTileStorageConformance('directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tlog-dir-'));
    return {
      open: async () => createDirectoryTileStorage(dir),
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  });

  it('lays the log out as tlog-tiles files, readable by the directory fetch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tlog-dir-'));
    try {
      const { signer, verifier } = await generateSignerKey('example.com/log', { seed: new Uint8Array(32).fill(1) });
      const appender = await createAppender({ storage: createDirectoryTileStorage(dir), signer });
      await appender.append(Array.from({ length: 257 }, (_, i) => utf8Encode(`e${i}`)));
      expect((await readdir(dir)).sort()).toEqual(['checkpoint', 'tile']);
      expect((await readdir(join(dir, 'tile'))).sort()).toEqual(['0', '1', 'entries']);
      expect((await readdir(join(dir, 'tile', '0'))).sort()).toEqual(['000', '001.p']);
      expect(await readdir(join(dir, 'tile', '0', '001.p'))).toEqual(['1']);
      const fetch = createDirectoryTileFetch(dir);
      expect(await fetch('../../etc/passwd')).toBeNull();
      const result = await verifyTileLog({ fetch, verifier, entryIndex: 256, audit: true });
      expect(result.issues).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
