import type { SerializedError } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with the plain `N passed, N failed, N skipped` line that CI reads. A file that
 * failed outside its tests (a `beforeAll` that threw, a missing binary) leaves its tests unrun:
 * they count as failed, not skipped, and so does an unhandled error.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      const moduleFailed = module.state() === 'failed';
      let counted = 0;
      for (const test of module.children.allTests()) {
        counted++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed' || moduleFailed) failed++;
        else skipped++;
      }
      if (moduleFailed && counted === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
