import { readFile } from 'node:fs/promises';
import { CliError, ExitCode } from './exit-codes.ts';

/** A JSON option value: inline (`'{"a":1}'`) or read from a file (`@input.json`). */
export async function jsonArg(value: string, option: string): Promise<unknown> {
  const text = value.startsWith('@') ? await readFile(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option} is not JSON: ${(error as Error).message}`, ExitCode.USAGE, 'USAGE');
  }
}

/** A JSON file the command needs (a plan, a fixture). */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, ExitCode.USAGE, 'USAGE');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not JSON: ${(error as Error).message}`, ExitCode.INVALID, 'INVALID_JSON');
  }
}

export function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new CliError(`${name} must be an integer from 1 to ${max}`, ExitCode.USAGE, 'USAGE');
    }
    return n;
  };
}
