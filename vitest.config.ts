import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/harness/global-setup.ts'],
    include: ['apps/**/*.test.ts', 'packages/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'models/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    // Hooks start workers, load ONNX models and build Faiss indexes; that outlasts a test.
    hookTimeout: 120_000,
    // Child processes, not worker threads: a crash inside a native addon (faiss-node,
    // onnxruntime-node) then fails one test file instead of killing the whole run.
    pool: 'forks',
    // Two cores; ONNX inference and Faiss search each want a whole one.
    maxWorkers: 2,
    // The JSON report feeds the one-line summary that scripts/run-tests.sh prints for CI.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
