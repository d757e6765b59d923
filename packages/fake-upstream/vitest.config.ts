import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'fake-upstream', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
