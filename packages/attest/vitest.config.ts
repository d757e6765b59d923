import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'attest', include: ['src/**/*.test.ts'] },
});
