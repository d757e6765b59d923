import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'ehbp', include: ['src/**/*.test.ts'] },
});
