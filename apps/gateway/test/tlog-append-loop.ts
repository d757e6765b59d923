/**
 * Test helper process: appends startup records to the data dir's startup log, as fast as it
 * can, until it is killed. The crash test SIGKILLs it at random moments, i.e. mid-append.
 * Usage: tsx test/tlog-append-loop.ts <dataDir>
 */
import { join } from 'node:path';
import { createAttestor } from '@saferouter/attest/node';
import { openStore } from '@saferouter/store';
import { appendStartupRecord } from '@saferouter/audit/node';
import { STARTUP_LOG } from '@saferouter/audit';

const dataDir = process.argv[2] ?? '';
const store = await openStore({ dataDir });
const attestor = await createAttestor({
  dataDir,
  measurement: new Uint8Array(32).fill(7),
  tsmRoot: join(dataDir, 'no-tsm'),
});
process.stdout.write('appending\n');
for (let i = 0; ; i++) {
  const { index } = await appendStartupRecord({
    storage: store.tlog.log(STARTUP_LOG),
    attestor,
    buildId: `loop-${i}`,
    audience: 'e2e',
    logSignerKey: undefined,
  });
  process.stdout.write(`appended ${index}\n`);
}
