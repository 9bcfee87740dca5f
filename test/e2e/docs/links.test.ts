/**
 * Every reference a reader follows resolves inside the repository: links between README.md,
 * ARCHITECTURE.md and docs/, documents (and their sections) cited from code, config and lint
 * messages, and the paths the map's "where to change what" names.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  brokenCitations,
  brokenLinks,
  headingSlug,
  missingPaths,
  outsideReferences,
  type ReadFile,
} from './doc-links.ts';

// Not @weft/test-utils' REPO_ROOT: its index loads the whole server, which reading files does not need.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const readRepo: ReadFile = (path) => {
  const full = join(REPO_ROOT, path);
  try {
    return readFileSync(full, 'utf8');
  } catch {
    return null;
  }
};

/** Tracked and new (not ignored) files, so a document is checked before it is committed. */
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: REPO_ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(REPO_ROOT, f)));

const markdown = files.filter((f) => f.endsWith('.md'));
/** This file's own failure cases cite missing documents on purpose. */
const SELF = 'test/e2e/docs/links.test.ts';
const text = files.filter(
  (f) => /\.(ts|tsx|js|json|sql|md|yml|yaml|graphql)$/.test(f) && f !== 'package-lock.json' && f !== SELF,
);

/** Migrations that had landed before the map moved into docs/: their comments stay as applied. */
const APPLIED_MIGRATIONS = new Set([
  'db/migrations/1700000000001_foundation.sql',
  'db/migrations/1700000000002_engine.sql',
  'db/migrations/1700000000003_plugins.sql',
]);

/** An in-memory repository for the checks' own failure cases. */
function fakeRepo(contents: Record<string, string>): ReadFile {
  return (path) => contents[path] ?? null;
}

describe('document references', () => {
  it('finds a broken link, a missing section and an outside document when there is one', () => {
    const read = fakeRepo({
      'ARCHITECTURE.md': '# Map\n\n## Where to change what\n\nSee [engine](docs/engine.md) and [gone](docs/gone.md).\n',
      'docs/engine.md':
        '# Engine\n\n## Plan model\n\n[map](../ARCHITECTURE.md#where-to-change-what) [bad](../ARCHITECTURE.md#nope)\n',
      'src/a.ts': '// see docs/engine.md "Plan model", docs/engine.md "Queue" and ../shared/DESIGN.md\n',
    });
    expect(brokenLinks('ARCHITECTURE.md', read).map((p) => p.problem)).toEqual(['link to missing docs/gone.md']);
    expect(brokenLinks('docs/engine.md', read).map((p) => p.problem)).toEqual([
      'link to missing section ../ARCHITECTURE.md#nope',
    ]);
    expect(brokenCitations('src/a.ts', read).map((p) => p.problem)).toEqual([
      'cites missing section docs/engine.md "Queue"',
    ]);
    expect(outsideReferences('src/a.ts', read)).toHaveLength(1);
    expect(missingPaths('ARCHITECTURE.md', fakeRepo({ 'ARCHITECTURE.md': '`packages/x/y.ts`' }), () => false)).toEqual([
      { file: 'ARCHITECTURE.md', problem: 'names missing path packages/x/y.ts' },
    ]);
    expect(headingSlug('Admin API and database privileges')).toBe('admin-api-and-database-privileges');
    expect(headingSlug('Queue: graphile-worker, enqueued by `weft_app`')).toBe(
      'queue-graphile-worker-enqueued-by-weft_app',
    );
  });

  it('has no relative markdown link to a missing file or section', () => {
    expect(markdown).toContain('ARCHITECTURE.md');
    expect(markdown.flatMap((f) => brokenLinks(f, readRepo))).toEqual([]);
  });

  it('cites only documents and sections that exist in the repository', () => {
    // Applied migrations are never edited (node-pg-migrate applies each once); the sections their
    // header comments name may have moved since. Outside documents are still refused there too.
    const cited = text.filter((f) => !APPLIED_MIGRATIONS.has(f));
    expect([
      ...cited.flatMap((f) => brokenCitations(f, readRepo)),
      ...text.flatMap((f) => outsideReferences(f, readRepo)),
    ]).toEqual([]);
  });

  it('names only existing paths in the map and docs/', () => {
    const docs = markdown.filter((f) => f === 'ARCHITECTURE.md' || f.startsWith('docs/'));
    // A git-ignored output the docs point to (screenshots) exists only after the tests that write
    // it, so it counts as present whenever git would ignore it (as a file or as a folder).
    const ignored = (path: string) =>
      [path, `${path}/`].some((p) => spawnSync('git', ['check-ignore', '-q', p], { cwd: REPO_ROOT }).status === 0);
    const exists = (path: string) => existsSync(join(REPO_ROOT, path)) || ignored(path);
    expect(docs.flatMap((f) => missingPaths(f, readRepo, exists))).toEqual([]);
  });

  it('keeps the map to one page', () => {
    expect(Buffer.byteLength(readRepo('ARCHITECTURE.md') ?? '')).toBeLessThanOrEqual(12 * 1024);
  });
});
