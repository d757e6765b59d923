import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultStatePath, fileState, resetState } from './node/state-file.js';
import { localStorageState, memoryState, readRemembered, stateKey, type RememberedLog } from './state.js';

const dir = mkdtempSync(join(tmpdir(), 'sr-verify-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const remembered: RememberedLog = {
  origin: 'example/saferouter/startup',
  vkey: 'example/saferouter/startup+01234567+AAAA',
  note: 'example/saferouter/startup\n1\nAAAA\n\n— sig\n',
  size: 1,
  root: 'AAAA',
  seenAt: '2026-01-01T00:00:00.000Z',
};

describe('state stores', () => {
  it('memoryState keeps values for the life of the object only', async () => {
    const a = memoryState();
    await a.set('k', 'v');
    expect(await a.get('k')).toBe('v');
    expect(await memoryState().get('k')).toBeNull();
  });

  it('localStorageState uses the Storage it is given, and says when there is none', () => {
    const map = new Map<string, string>();
    const s = localStorageState({ getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) });
    void s.set('k', 'v');
    expect(map.get('k')).toBe('v');
    expect(() => localStorageState()).toThrow(/no localStorage/);
  });

  it('readRemembered returns a remembered log and reports a corrupt one instead of trusting it', async () => {
    const s = memoryState();
    const key = stateKey('http://gw', 'startup');
    expect(await readRemembered(s, key)).toBeUndefined();
    await s.set(key, JSON.stringify(remembered));
    expect(await readRemembered(s, key)).toEqual(remembered);
    await s.set(key, '{not json');
    await expect(readRemembered(s, key)).rejects.toThrow(/not JSON/);
    await s.set(key, JSON.stringify({ ...remembered, size: 'one' }));
    await expect(readRemembered(s, key)).rejects.toThrow(/malformed/);
  });

  it('fileState writes one JSON file with mode 0600, and resetState forgets one gateway only', async () => {
    const path = join(dir, 'nested', 'state.json');
    const s = fileState(path);
    expect(await s.get('missing')).toBeNull();
    await s.set(stateKey('http://a', 'startup'), 'A1');
    await s.set(stateKey('http://a', 'audit'), 'A2');
    await s.set(stateKey('http://b', 'startup'), 'B1');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await fileState(path).get(stateKey('http://a', 'audit'))).toBe('A2');
    resetState(path, 'http://a');
    const after = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    expect(after).toEqual({ [stateKey('http://b', 'startup')]: 'B1' });
  });

  it('a state file that is not JSON is an error naming the file, not an empty memory', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, 'garbage');
    expect(() => fileState(path).get('k')).toThrow(/broken\.json is not JSON/);
  });

  it('defaultStatePath follows XDG_CONFIG_HOME', () => {
    expect(defaultStatePath({ XDG_CONFIG_HOME: '/cfg' })).toBe(join('/cfg', 'saferouter', 'verify-state.json'));
  });
});
