/** The README's "Plans in git" walkthrough, run as written against a fresh server, so it cannot rot. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignUpDocument, WeftClient } from '@weft/client';
import { REPO_ROOT, startTestApi, type TestApi } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

let api: TestApi;
let dir: string;

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1' } });
  dir = await mkdtemp(join(tmpdir(), 'weft-readme-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await api?.close();
});

async function walkthrough(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Plans in git'));
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (block === undefined) throw new Error('README.md has no "Plans in git" section with a sh block');
  return block;
}

it('runs the README walkthrough: log in, workspace, push, run --follow, record, regression, chaos, load', async () => {
  const script = (await walkthrough()).replaceAll('http://localhost:4000', api.url);
  const email = `readme-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  await new WeftClient({ url: api.url }).mutate(SignUpDocument, 'signUp', {
    input: { email, password, name: 'readme' },
  });
  // bash, asynchronously: the API it talks to runs in this process. `weft` is the workspace binary.
  const child = spawn('bash', ['-c', script], {
    cwd: dir,
    env: {
      PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      HOME: dir,
      WEFT_CONFIG: join(dir, 'weft.json'),
      WEFT_EMAIL: email,
      WEFT_PASSWORD: password,
      NO_COLOR: '1',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toContain('created greet v1');
  expect(stdout).toContain('unchanged greet v1');
  expect(stdout).toMatch(/SUCCEEDED \{"shout":\{"loud":"hello world!"\}\}/);
  expect(stdout).toContain('PASSED: nothing changed');
  expect(stdout).toMatch(/succeeded +10\/10/);
  expect(stdout).toMatch(/success +20\/20/);
}, 300_000);
