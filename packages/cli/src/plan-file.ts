import { basename, extname } from 'node:path';
import type { PlanSpec } from '@weft/engine';
import { CliError, ExitCode } from './exit-codes.ts';
import { readJsonFile } from './json-arg.ts';

export interface PlanFile {
  path: string;
  /** The plan's `name`, else the file's name without its extension. */
  name: string;
  spec: PlanSpec;
}

export async function readPlanFile(path: string): Promise<PlanFile> {
  const spec = await readJsonFile(path);
  if (typeof spec !== 'object' || spec === null || !Array.isArray((spec as { steps?: unknown }).steps)) {
    throw new CliError(`${path} is not a plan: it needs a "steps" array`, ExitCode.INVALID, 'INVALID_PLAN');
  }
  const named = (spec as { name?: unknown }).name;
  const name = typeof named === 'string' && named.trim() !== '' ? named.trim() : basename(path, extname(path));
  return { path, name, spec: spec as PlanSpec };
}
