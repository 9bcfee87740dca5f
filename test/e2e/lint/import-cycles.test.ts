/**
 * `npm run lint:cycles` (part of `npm run lint`, so of `npm test`) fails on an import cycle: run
 * over the repository plus a two-file cycle, it exits non-zero and names exactly that cycle, so
 * the repository itself has none and the check would catch one.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function lintCycles(...extra: string[]): { status: number | null; output: string } {
  const run = spawnSync('npm', ['run', '-s', 'lint:cycles', '--', ...extra], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('import cycle check', () => {
  it('fails on a cycle (even of type-only imports) and finds none in the repository', () => {
    const { status, output } = lintCycles('test/fixtures/import-cycle/order.ts', 'test/fixtures/import-cycle/line.ts');
    expect(status).toBe(1);
    const cycles = output.split('\n').filter((line) => /^\s*\d+\)\s/.test(line));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatch(
      /test\/fixtures\/import-cycle\/(order|line)\.ts -> test\/fixtures\/import-cycle\/(order|line)\.ts/,
    );
  });
});
