/** The published tarball works on its own: pack it, unpack it in a scratch folder, build and run a plugin. */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_MODULES = join(SDK_DIR, '..', '..', 'node_modules');
let scratch: string;
let tarball: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'weft-sdk-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: SDK_DIR, encoding: 'utf8' }),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = join(scratch, packed[0]?.filename ?? '');
  const target = join(scratch, 'node_modules', '@weft', 'plugin-sdk');
  await mkdir(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  // The tarball's declared dependencies (and the sandbox peer), as an install would add them: read
  // from the packed package.json, so a dependency added later cannot be forgotten here.
  const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    await mkdir(dirname(join(scratch, 'node_modules', dep)), { recursive: true });
    await symlink(join(REPO_MODULES, dep), join(scratch, 'node_modules', dep), 'dir');
  }
  await mkdir(join(scratch, 'hello', 'src'), { recursive: true });
  await writeFile(
    join(scratch, 'hello', 'src', 'index.ts'),
    `import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'hello', version: '1.0.0', description: 'greets',
  tools: [defineTool({ name: 'greet', description: 'greets', input: Type.Object({ name: Type.String() }),
    run: ({ name }) => ({ greeting: 'Hello, ' + name + '!' }) })],
});
`,
  );
  await writeFile(join(scratch, 'package.json'), '{ "type": "module", "private": true }');
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

it('ships only built files, the README and the CHANGELOG', async () => {
  const files = await readdir(join(scratch, 'node_modules', '@weft', 'plugin-sdk'), { recursive: true });
  expect(files).toEqual(
    expect.arrayContaining([
      'README.md',
      'CHANGELOG.md',
      'package.json',
      'dist/index.js',
      'dist/cli.js',
      'bin/weft-plugin.js',
    ]),
  );
  expect(files.some((f) => f.endsWith('.test.js') || f.startsWith('src'))).toBe(false);
});

it('builds with the packed CLI and runs the tool in the sandbox from a scratch project', async () => {
  const cli = join(scratch, 'node_modules', '@weft', 'plugin-sdk', 'bin', 'weft-plugin.js');
  const built = execFileSync(process.execPath, [cli, 'build', 'hello'], { cwd: scratch, encoding: 'utf8' });
  expect(built).toMatch(/^built hello@1\.0\.0 \(1 tools\) sha256-/);
  await writeFile(
    join(scratch, 'run.mjs'),
    `import { definePlugin } from '@weft/plugin-sdk';
import { runTool } from '@weft/plugin-sdk/testing';
const output = await runTool('greet', { name: 'Ada' }, { dir: 'hello' });
console.log(JSON.stringify({ definePlugin: typeof definePlugin, output }));
`,
  );
  const out = execFileSync(process.execPath, ['run.mjs'], { cwd: scratch, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ definePlugin: 'function', output: { greeting: 'Hello, Ada!' } });
});
