/** The packed tarball works on its own: unpack it in a scratch project and talk to a real API with it. */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestApi, type TestApi } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_MODULES = join(CLIENT_DIR, '..', '..', 'node_modules');
let scratch: string;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
  scratch = await mkdtemp(join(tmpdir(), 'weft-client-pack-'));
  // dist/ is what `turbo run build` made (npm test builds first): rebuilding here would rewrite files
  // the CLI's tests, running in parallel, are importing.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: CLIENT_DIR, encoding: 'utf8' }),
  ) as { filename: string }[];
  const target = join(scratch, 'node_modules', '@weft', 'client');
  await mkdir(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, packed[0]?.filename ?? ''), '-C', target, '--strip-components=1']);
  // The tarball's declared dependencies, as an install would add them (read from the packed manifest).
  const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    await mkdir(dirname(join(scratch, 'node_modules', dep)), { recursive: true });
    await symlink(join(REPO_MODULES, dep), join(scratch, 'node_modules', dep), 'dir');
  }
  await writeFile(join(scratch, 'package.json'), '{ "type": "module", "private": true }');
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await api?.close();
});

it('ships built JavaScript with declarations, no sources or tests', async () => {
  const files = await readdir(join(scratch, 'node_modules', '@weft', 'client'), { recursive: true });
  expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']));
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
});

it('a plain Node program signs up and reads its viewer through the packed client', async () => {
  await writeFile(
    join(scratch, 'main.mjs'),
    `import { WeftClient, SignUpDocument, ViewerDocument, UserInputError } from '@weft/client';
const anonymous = new WeftClient({ url: process.argv[2] });
const { token } = await anonymous.mutate(SignUpDocument, 'signUp', {
  input: { email: 'pack-' + Date.now() + '@example.com', password: 'correct horse battery', name: 'pack' },
});
const { viewer } = await anonymous.withToken(token).request(ViewerDocument);
const bad = await anonymous.mutate(SignUpDocument, 'signUp', { input: { email: 'nope', password: 'x', name: '' } })
  .catch((e) => e);
console.log(JSON.stringify({ email: viewer.email, badIsUserInput: bad instanceof UserInputError }));
`,
  );
  // Asynchronously: the API answering it runs in this process.
  const { stdout } = await promisify(execFile)('node', ['main.mjs', api.url], { cwd: scratch, encoding: 'utf8' });
  const result = JSON.parse(stdout) as { email: string; badIsUserInput: boolean };
  expect(result.email).toMatch(/^pack-\d+@example\.com$/);
  expect(result.badIsUserInput).toBe(true);
});
