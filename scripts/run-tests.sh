#!/usr/bin/env bash
# `npm test`: setup (idempotent), type-check, lint, then the whole vitest suite against real
# Redis and S3. Ends with one "N passed, N failed" line that any CI can read.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --quiet || exit 1
# Tests build S3 clients of their own (against s3rver/MinIO), not through shared's
# createS3Client; the SDK's Node 20 notice (its 2027 releases need 22) is not actionable on
# a Node that setup just accepted, so the SDK's documented switch is set for them too.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
npx tsc -p tsconfig.json --noEmit || { echo "tests: 0 passed, 1 failed (type check)"; exit 1; }
npx eslint . || { echo "tests: 0 passed, 1 failed (lint)"; exit 1; }
# Formatting is checked, not fixed, here: `npm run format` rewrites the tree.
npx prettier --check --log-level warn . || { echo "tests: 0 passed, 1 failed (formatting: run npm run format)"; exit 1; }
rm -f test-results/vitest.json
npx vitest run "$@"
status=$?
if [[ -f test-results/vitest.json ]]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    // A file whose setup (beforeAll) failed fails no test but skips them all: say so.
    const brokenFiles = r.testResults.filter((file) => file.status === "failed" && file.assertionResults.every((test) => test.status !== "failed")).length;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : "") + (brokenFiles ? `, ${brokenFiles} files failed before their tests` : ""));
  '
fi
exit $status
