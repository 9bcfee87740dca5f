/** The calendar plugin against a real CalDAV server (Debian's radicale), in the real sandbox. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness, type TestHarness } from '@weft/plugin-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PLUGIN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

let radicale: ChildProcess;
let storage: string;
let calendarUrl: string;
let harness: TestHarness;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function waitForServer(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { method: 'OPTIONS' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`radicale did not start at ${url}`);
}

beforeAll(async () => {
  storage = await mkdtemp(join(tmpdir(), 'weft-radicale-'));
  const port = await freePort();
  radicale = spawn(
    'radicale',
    [
      '-C',
      '',
      '--server-hosts',
      `127.0.0.1:${port}`,
      '--auth-type',
      'none',
      '--rights-type',
      'authenticated',
      '--storage-filesystem-folder',
      join(storage, 'collections'),
      '--logging-level',
      'warning',
    ],
    { stdio: 'ignore' },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForServer(base);
  expect((await fetch(`${base}/weft/`, { method: 'MKCOL' })).status).toBe(201);
  expect((await fetch(`${base}/weft/work/`, { method: 'MKCALENDAR' })).status).toBe(201);
  calendarUrl = `${base}/weft/work/`;
  // radicale listens on loopback, which egress refuses unless the operator lists it.
  harness = await createTestHarness({ dir: PLUGIN_DIR, grants: ['http:127.0.0.1'], egressAllow: '127.0.0.1' });
});

afterAll(async () => {
  await harness?.close();
  radicale?.kill('SIGTERM');
  await rm(storage, { recursive: true, force: true });
});

describe('calendar plugin on radicale', () => {
  it('creates events that the server stores and lists them back in a time range', async () => {
    const created = await harness.runTool('createEvent', {
      calendarUrl,
      uid: 'standup-1',
      summary: 'Stand-up, daily; with notes',
      description: 'line one\nline two',
      start: '2026-12-01T09:00:00Z',
      end: '2026-12-01T09:30:00Z',
    });
    expect(created).toMatchObject({ uid: 'standup-1', url: `${calendarUrl}standup-1.ics` });
    const stored = await fetch(`${calendarUrl}standup-1.ics`);
    expect(stored.status).toBe(200);
    expect(await stored.text()).toContain('DTSTART:20261201T090000Z');

    await harness.runTool('createEvent', {
      calendarUrl,
      uid: 'review-1',
      summary: 'Review',
      start: '2026-12-01T10:00:00Z',
      end: '2026-12-01T11:00:00Z',
    });
    await harness.runTool('createEvent', {
      calendarUrl,
      uid: 'next-day',
      summary: 'Tomorrow',
      start: '2026-12-02T10:00:00Z',
      end: '2026-12-02T11:00:00Z',
    });
    const listed = await harness.runTool('listEvents', {
      calendarUrl,
      from: '2026-12-01T00:00:00Z',
      to: '2026-12-02T00:00:00Z',
    });
    expect(listed).toEqual({
      events: [
        {
          uid: 'standup-1',
          summary: 'Stand-up, daily; with notes',
          description: 'line one\nline two',
          start: '2026-12-01T09:00:00.000Z',
          end: '2026-12-01T09:30:00.000Z',
        },
        { uid: 'review-1', summary: 'Review', start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T11:00:00.000Z' },
      ],
    });
  });

  it('finds the earliest free slot between existing events, or says there is none', async () => {
    await expect(
      harness.runTool('findFreeSlot', {
        calendarUrl,
        from: '2026-12-01T09:00:00Z',
        to: '2026-12-01T12:00:00Z',
        durationMinutes: 45,
      }),
    ).resolves.toEqual({ found: true, start: '2026-12-01T11:00:00.000Z', end: '2026-12-01T11:45:00.000Z' });
    await expect(
      harness.runTool('findFreeSlot', {
        calendarUrl,
        from: '2026-12-01T09:00:00Z',
        to: '2026-12-01T12:00:00Z',
        durationMinutes: 25,
      }),
    ).resolves.toEqual({ found: true, start: '2026-12-01T09:30:00.000Z', end: '2026-12-01T09:55:00.000Z' });
    await expect(
      harness.runTool('findFreeSlot', {
        calendarUrl,
        from: '2026-12-01T09:00:00Z',
        to: '2026-12-01T11:00:00Z',
        durationMinutes: 60,
      }),
    ).resolves.toEqual({ found: false });
  });

  it('refuses a CalDAV server that was not granted', async () => {
    const strict = await createTestHarness({ dir: PLUGIN_DIR, grants: ['http:calendar.example.com'] });
    try {
      await expect(
        strict.runTool('listEvents', { calendarUrl, from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' }),
      ).rejects.toMatchObject({ code: 'TOOL_ERROR', toolErrorName: 'CapabilityDeniedError' });
    } finally {
      await strict.close();
    }
  });

  it('refuses the loopback CalDAV server when EGRESS_ALLOW does not list it', async () => {
    const fenced = await createTestHarness({ dir: PLUGIN_DIR, grants: ['http:127.0.0.1'], egressAllow: [] });
    try {
      await expect(
        fenced.runTool('listEvents', { calendarUrl, from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' }),
      ).rejects.toMatchObject({ toolErrorName: 'CapabilityDeniedError', message: expect.stringContaining('egress') });
    } finally {
      await fenced.close();
    }
  });
});
