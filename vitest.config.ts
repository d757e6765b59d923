import { defineConfig } from 'vitest/config';

// One root config listing every workspace project; each package keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
