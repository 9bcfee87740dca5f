import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit } from '@weft/test-utils';
import { describe, expect, it } from 'vitest';

const PREFLIGHT = [process.execPath, '--import', 'tsx', 'test/preflight.ts'];

describe('npm test preflight', () => {
  it('passes on a machine with everything the tests need', async () => {
    const { code, output } = await runToExit(PREFLIGHT, {});
    expect({ code, output }).toEqual({ code: 0, output: '' });
  });

  it('stops with one line naming what is missing and how to get it', async () => {
    // A PATH with node only: radicale (and the programs that could start services) are not found.
    const bin = mkdtempSync(join(tmpdir(), 'weft-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const { code, output } = await runToExit(PREFLIGHT, { PATH: bin });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(/^npm test needs radicale .*: apt-get install radicale$/),
    ]);
  });
});
