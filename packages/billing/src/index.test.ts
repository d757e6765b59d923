import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as billing from './index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module the main entry reaches through relative imports, and every package it names. */
function reach(
  file: string,
  seen = new Set<string>(),
  packages = new Set<string>(),
): { seen: Set<string>; packages: Set<string> } {
  if (seen.has(file)) return { seen, packages };
  seen.add(file);
  const source = readFileSync(join(here, file), 'utf8');
  for (const [, spec] of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
    if (spec === undefined) continue;
    if (spec.startsWith('./')) reach(spec.slice(2).replace(/\.js$/, '.ts'), seen, packages);
    else packages.add(spec);
  }
  return { seen, packages };
}

describe('@saferouter/billing entry', () => {
  it('exports the public API', () => {
    for (const name of [
      'costMicros',
      'formatUsd',
      'parseUsdAmount',
      'MICROS_PER_USD',
      'estimatePromptTokens',
      'estimateCompletionTokens',

      'deliveredText',
      'holdMicros',
      'affordableOutputTokens',
      'insufficientCreditsMessage',
      'InsufficientCreditsError',
      'createBilling',
      'createMemoryLimiter',
    ]) {
      expect(billing, name).toHaveProperty(name);
    }
    expect(billing).not.toHaveProperty('createRedisLimiter');
  });

  it('never reaches ioredis (the Redis limiter is the ./redis subpath)', () => {
    const { seen, packages } = reach('index.ts');
    expect(seen.has('redis-limiter.ts')).toBe(false);
    expect([...seen].some((f) => f.startsWith('testing/'))).toBe(false);
    expect([...packages].sort()).toEqual(['@saferouter/errors', '@saferouter/store']);
  });
});
