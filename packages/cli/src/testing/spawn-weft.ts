import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));

export interface WeftResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (what `--json` promises). */
  json<T = unknown>(): T;
}

/**
 * Runs the `weft` binary as a user would, in its own process. Asynchronously: the API it talks to
 * usually runs in the test's process and must keep answering.
 */
export function spawnWeft(
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string; input?: string },
) {
  return new Promise<WeftResult>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
        cwd: options.cwd,
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        if (code === null) {
          reject(new Error(`weft ${args.join(' ')} did not exit: ${error?.message}\n${stderr}`));
          return;
        }
        resolve({
          code,
          stdout,
          stderr,
          json<T>() {
            const last = stdout.trimEnd().split('\n').at(-1) ?? '';
            return JSON.parse(last) as T;
          },
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
