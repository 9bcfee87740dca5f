/** `weft-plugin build | test | publish`: the plugin author's command line. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildPlugin, PluginBuildError, readBuiltPlugin } from './build.ts';
import { PublishError, publishPlugin } from './publish.ts';

const USAGE = `Usage: weft-plugin <command> [dir]

  build   [dir]                         bundle src/index.ts into dist/bundle.js + dist/manifest.json
  test    [dir]                         build, then run the plugin's tests (vitest, else node --test)
  publish [dir] --api-url URL [--token TOKEN]
                                        build, then publish with the API token (or WEFT_TOKEN)
`;

async function runTests(dir: string): Promise<number> {
  const vitest = join(dir, 'node_modules', '.bin', 'vitest');
  const [command, args] = existsSync(vitest) ? [vitest, ['run']] : [process.execPath, ['--test']];
  const child = spawn(command, args, { cwd: dir, stdio: 'inherit' });
  return new Promise((done) => child.on('exit', (code) => done(code ?? 1)));
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'api-url': { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, dirArg] = positionals;
  if (values.help === true || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && values.help !== true ? 1 : 0;
  }
  const dir = resolve(dirArg ?? '.');
  switch (command) {
    case 'build': {
      const { manifest } = await buildPlugin(dir);
      process.stdout.write(
        `built ${manifest.name}@${manifest.version} (${manifest.tools.length} tools) ${manifest.integrity}\n`,
      );
      return 0;
    }
    case 'test': {
      await buildPlugin(dir);
      return runTests(dir);
    }
    case 'publish': {
      const apiUrl = values['api-url'];
      const token = values.token ?? process.env.WEFT_TOKEN;
      if (apiUrl === undefined || token === undefined || token === '') {
        process.stderr.write('publish needs --api-url and --token (or WEFT_TOKEN)\n');
        return 1;
      }
      await buildPlugin(dir);
      const result = await publishPlugin(await readBuiltPlugin(dir), { apiUrl, token });
      if (result.userErrors.length > 0) {
        for (const e of result.userErrors) process.stderr.write(`${e.code}: ${e.message}\n`);
        return 1;
      }
      const v = result.pluginVersion;
      process.stdout.write(`published ${v?.version ?? ''} as ${v?.id ?? ''}\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof PluginBuildError || error instanceof PublishError;
    process.stderr.write(
      `${known ? (error as Error).message : String(error instanceof Error ? error.stack : error)}\n`,
    );
    process.exitCode = 1;
  },
);
