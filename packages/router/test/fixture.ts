/**
 * Shared setup for provider tests: servers and providers created through it are closed after
 * each test, and `rejection()` asserts that a promise fails with a router error.
 */
import { afterEach, expect } from 'vitest';
import { SafeRouterError } from '../src/errors.js';
import {
  createOpenAICompatible,
  type OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
} from '../src/openai-compatible.js';
import { startServer, type Handler, type TestServer } from './http.js';

export const TEST_KEY = 'sk-test-SECRET-4f9a1c';

export function useProviderFixture() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
  return {
    cleanups,
    async serve(handler: Handler): Promise<TestServer> {
      const server = await startServer(handler);
      cleanups.push(() => server.close());
      return server;
    },
    provider(settings: Partial<OpenAICompatibleSettings> & { baseURL: string }): OpenAICompatibleProvider {
      const p = createOpenAICompatible({ name: 'acme', apiKey: TEST_KEY, ...settings });
      cleanups.push(() => p.close());
      return p;
    },
  };
}

/** Awaits `promise`, asserting it rejects with a `SafeRouterError`, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<SafeRouterError> {
  try {
    await promise;
  } catch (error) {
    expect(SafeRouterError.isInstance(error)).toBe(true);
    return error as SafeRouterError;
  }
  throw new Error('expected a rejection');
}
