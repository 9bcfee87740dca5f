import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `weft login` and `weft workspace use` remember between commands. */
export interface CliConfig {
  url?: string;
  token?: string;
  workspace?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.WEFT_CONFIG ?? join(homedir(), '.config', 'weft', 'config.json');
}

export async function readConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(configPath(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const { url, token, workspace } = parsed as Record<string, unknown>;
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof token === 'string' ? { token } : {}),
    ...(typeof workspace === 'string' ? { workspace } : {}),
  };
}

/** Merges `patch` into the stored file, which holds a token: only its owner may read it (0600). */
export async function writeConfig(patch: CliConfig, env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  const path = configPath(env);
  const next = { ...(await readConfig(env)), ...patch };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  // `mode` only applies when the file is created; an older file may have looser permissions.
  await chmod(path, 0o600);
  return next;
}

/** The stored config with `WEFT_URL` and `WEFT_TOKEN` taking precedence (CI sets these). */
export async function effectiveConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  const stored = await readConfig(env);
  return {
    ...stored,
    ...(env.WEFT_URL ? { url: env.WEFT_URL } : {}),
    ...(env.WEFT_TOKEN ? { token: env.WEFT_TOKEN } : {}),
    ...(env.WEFT_WORKSPACE ? { workspace: env.WEFT_WORKSPACE } : {}),
  };
}
