/**
 * Test-only: request targets for a C2SP tlog-tiles read API (the startup log and the audit log
 * serve the same one): entry pages, the head, entries by index, consistency proofs, the checkpoint,
 * and tile paths both plausible and broken.
 */
import fc from 'fast-check';
import { LOG_SIZE } from './fuzz-harness.js';
import { query, randomString, segment } from './fuzz-values.js';

const tilePath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0/000.p/3',
    'entries/000.p/3',
    '0/000',
    'entries/000',
    '1/000.p/1',
    '0/x001/000',
    '0/000.p/0',
    '0/000.p/255',
    '0/000.p/256',
    '63/000',
    '64/000',
    '0/x999/x999/x999/x999/x999/999',
    '0/x999/x999/x999/x999/x999/x999/999',
    '0/-01',
    'entries/000.p/99999999999999999999',
    '../checkpoint',
    'checkpoint',
    '',
  ),
  fc
    .tuple(
      fc.oneof(fc.nat(70).map(String), fc.constant('entries'), randomString),
      fc.array(fc.oneof(fc.stringMatching(/^x?[0-9]{3}$/), randomString), { minLength: 1, maxLength: 7 }),
      fc.option(fc.oneof(fc.nat(300).map(String), randomString)),
    )
    .map(([level, groups, width]) => `${level}/${groups.join('/')}${width === null ? '' : `.p/${width}`}`),
);

/** The tlog read API of one log, under `base` (`/attestation/transparency`, `/attestation/audit`). */
export const logTarget = (base: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.constantFrom('', '/'), query(['start', 'limit'])).map(([slash, q]) => `${base}${slash}${q}`),
    query(['format']).map((q) => `${base}/head${q}`),
    fc
      .tuple(
        fc.oneof(
          fc.nat(LOG_SIZE + 2).map(String),
          fc.constantFrom('999999999999999', '9007199254740993', '000000000000000', '-1', '1.0', '01', '1e2'),
        ),
        query([]),
      )
      .map(([i, q]) => `${base}/${i}${q}`),
    query(['from', 'to']).map((q) => `${base}/consistency${q}`),
    query([]).map((q) => `${base}/checkpoint${q}`),
    segment(tilePath).map((p) => `${base}/tile/${p}`),
    tilePath.map((p) => `${base}/tile/${p}`),
  );
