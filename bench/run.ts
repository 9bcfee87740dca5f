// Runs every benchmark (`bench/<name>/index.ts`) in its own process, one after another, so they do
// not compete for the machine's cores. `npm run bench -- engine` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// Arguments starting with `--` (e.g. `--quick`) go to every bench run; the others name benches.
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const benches = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n== bench/${name} ==\n`);
  const result = spawnSync(
    process.execPath,
    ['--no-node-snapshot', '--import', 'tsx', join(here, name, 'index.ts'), ...flags],
    {
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) failed++;
}
if (benches.length === 0) process.stdout.write('no benchmarks found\n');
process.exit(failed === 0 ? 0 : 1);
