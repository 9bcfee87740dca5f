/**
 * Finds references in the repository's text that point nowhere: relative markdown links (and their
 * `#anchors`), documents cited by path in code and config, the sections such citations name, and
 * repository paths the map names in backticks. Pure functions over file contents, so the test can
 * feed them a broken case and see them fail.
 */

/** Reads a repository file, or null when it does not exist. */
export type ReadFile = (path: string) => string | null;

export interface Problem {
  file: string;
  problem: string;
}

/** Fenced code blocks hold examples (plugin sources, shell), not links of ours. */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The text of every markdown heading of a document, without its `#`s. */
export function headings(markdown: string): string[] {
  return [...withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1] ?? '');
}

/** `a/b/../c` → `a/c`, relative to the repository root. */
export function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Relative links `[text](target)` of a markdown file whose file or anchor does not exist. */
export function brokenLinks(file: string, read: ReadFile): Problem[] {
  const text = read(file);
  if (text === null) return [{ file, problem: 'file does not exist' }];
  const problems: Problem[] = [];
  for (const m of withoutCodeBlocks(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto: — not ours to check offline
    const [pathPart = '', anchor] = target.split('#', 2);
    const path = pathPart === '' ? file : normalise(`${dirOf(file)}/${pathPart}`);
    const linked = pathPart.endsWith('/') ? read(`${path}/README.md`) : read(path);
    if (linked === null) {
      problems.push({ file, problem: `link to missing ${target}` });
      continue;
    }
    if (anchor !== undefined && !headings(linked).some((h) => headingSlug(h) === anchor)) {
      problems.push({ file, problem: `link to missing section ${target}` });
    }
  }
  return problems;
}

/**
 * Documents a file cites by their repository path (`docs/engine.md`, `README.md`), optionally with a
 * quoted section (`docs/contract.md "Error model"`): the document must exist and have that heading.
 */
export function brokenCitations(file: string, read: ReadFile): Problem[] {
  const text = read(file) ?? '';
  const problems: Problem[] = [];
  const cite = /(?<![\w./-])((?:docs\/[\w./-]+|ARCHITECTURE|README)\.md)(?:,? ["']([^"'\n]+)["'])?/g;
  for (const m of text.matchAll(cite)) {
    const target = m[1] ?? '';
    const section = m[2];
    const cited = read(target);
    if (cited === null) {
      problems.push({ file, problem: `cites missing ${target}` });
    } else if (section !== undefined && !headings(cited).includes(section)) {
      problems.push({ file, problem: `cites missing section ${target} "${section}"` });
    }
  }
  return problems;
}

/** Repository paths named in backticks (`packages/engine/src/store.ts`) that do not exist. */
export function missingPaths(file: string, read: ReadFile, exists: (path: string) => boolean): Problem[] {
  const text = read(file) ?? '';
  const problems: Problem[] = [];
  for (const m of text.matchAll(/`((?:apps|packages|db|test|bench|plugins|docs)\/[\w./-]+)`/g)) {
    const path = (m[1] ?? '').replace(/\/$/, '');
    if (/(^|\/)dist(\/|$)/.test(path)) continue; // build output, made by `turbo run build`, not tracked
    if (!exists(path)) problems.push({ file, problem: `names missing path ${path}` });
  }
  return problems;
}

/**
 * Documents outside the repository that code once cited: whoever reads the code has only the
 * repository. Built from parts so that this file does not match itself.
 */
const OUTSIDE_DOCUMENTS = new RegExp(
  ['\\.\\./shared/', ...['DESIGN', 'CONTRACT', 'STACK', 'STYLE'].map((n) => `\\b${n}\\.md\\b`)].join('|'),
);

/** Mentions of documents that live outside the repository. */
export function outsideReferences(file: string, read: ReadFile): Problem[] {
  const problems: Problem[] = [];
  (read(file) ?? '').split('\n').forEach((line, i) => {
    const m = OUTSIDE_DOCUMENTS.exec(line);
    if (m) problems.push({ file: `${file}:${i + 1}`, problem: `cites ${m[0]}, which is not in the repository` });
  });
  return problems;
}
