import { createCipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { signWebhook } from '@weft/api';
import { openSecret, openStoredSecret, type StoredSecretRef, storedSecretContext, withTenant } from '@weft/db';
import {
  recordOnlyWebhookStart,
  signUpUser,
  startTestApi,
  TEST_SECRET_KEY,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHookedPlan, type Hook } from '../graphql/hooked-run.ts';
import { VALID_SPEC } from '../graphql/operations.ts';

// Secrets stored before there was one secret box: version byte 1, and the key of the box that
// wrote them (SHA-256 of SECRET_KEY for webhooks, HKDF "…/v1" for plugin secrets).
const LEGACY_KEYS = {
  webhooks: createHash('sha256').update(TEST_SECRET_KEY).digest(),
  webhook_endpoints: createHash('sha256').update(TEST_SECRET_KEY).digest(),
  secrets: Buffer.from(hkdfSync('sha256', TEST_SECRET_KEY, 'weft', 'weft/secrets/aes-256-gcm/v1', 32)),
};

function legacySeal(ref: StoredSecretRef, plaintext: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', LEGACY_KEYS[ref.store], iv);
  cipher.setAAD(Buffer.from(storedSecretContext(ref)));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
}

let api: TestApi;
let admin: TestUser;
let workspaceId: string;
let webhookId: string;
let hook: Hook;

beforeAll(async () => {
  api = await startTestApi({ deps: { startExecution: recordOnlyWebhookStart } });
  admin = await signUpUser(new TestClient(api.url), 'upgrade');
  hook = await createHookedPlan(admin, 'upgrade', VALID_SPEC);
  const { rows } = await api.db.pools.owner.query<{ workspace_id: string; id: string }>(
    'SELECT workspace_id, id FROM webhooks',
  );
  workspaceId = rows[0]?.workspace_id ?? '';
  webhookId = rows[0]?.id ?? '';
});
afterAll(() => api?.close());

async function storedWebhookSecret(): Promise<Buffer> {
  const { rows } = await api.db.pools.owner.query<{ secret_ciphertext: Buffer }>(
    'SELECT secret_ciphertext FROM webhooks',
  );
  return rows[0]?.secret_ciphertext ?? Buffer.alloc(0);
}

describe('secrets sealed by an earlier version', () => {
  it('new secrets are written in the current format', async () => {
    expect((await storedWebhookSecret())[0]).toBe(2);
  });

  it('an inbound webhook with a legacy secret still verifies, and its secret is re-sealed', async () => {
    const ref = { store: 'webhooks', workspaceId, key: webhookId } as const;
    const legacy = legacySeal(ref, 'whsec_from_before');
    await api.db.pools.owner.query('UPDATE webhooks SET secret_ciphertext = $1', [legacy]);

    const body = '{"order":1}';
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${api.url}/hooks/${encodeURIComponent(hook.id)}`, {
      method: 'POST',
      headers: { 'weft-timestamp': ts, 'weft-signature': signWebhook('whsec_from_before', ts, body) },
      body,
    });
    expect(res.status).toBe(202);
    const now = await storedWebhookSecret();
    expect(now[0]).toBe(2);
    expect(openSecret(TEST_SECRET_KEY, now, storedSecretContext(ref))).toBe('whsec_from_before');
  });

  it('every kind of stored secret opens and is re-sealed through the app role, unless replaced meanwhile', async () => {
    const endpointId = '00000000-0000-4000-8000-00000000e001';
    const secretRef = { store: 'secrets', workspaceId, key: 'LEGACY' } as const;
    const endpointRef = { store: 'webhook_endpoints', workspaceId, key: endpointId } as const;
    await api.db.pools.owner.query('INSERT INTO secrets (workspace_id, name, ciphertext) VALUES ($1, $2, $3)', [
      workspaceId,
      'LEGACY',
      legacySeal(secretRef, 'xoxb-from-before'),
    ]);
    await api.db.pools.owner.query(
      `INSERT INTO webhook_endpoints (workspace_id, id, url, secret_ciphertext) VALUES ($1, $2, 'https://example.com/h', $3)`,
      [workspaceId, endpointId, legacySeal(endpointRef, 'whsec_endpoint')],
    );
    const read = async (ref: StoredSecretRef, sql: string) =>
      withTenant(api.db.pools.app, { workspaceId }, async (client) => {
        const { rows } = await client.query<{ sealed: Buffer }>(sql, [ref.key]);
        const sealed = rows[0]?.sealed ?? Buffer.alloc(0);
        return { sealed, value: await openStoredSecret(client, TEST_SECRET_KEY, ref, sealed) };
      });
    const secretSql = 'SELECT ciphertext AS sealed FROM secrets WHERE name = $1';
    const endpointSql = 'SELECT secret_ciphertext AS sealed FROM webhook_endpoints WHERE id = $1';

    const first = await read(secretRef, secretSql);
    expect(first).toMatchObject({ value: 'xoxb-from-before' });
    expect(first.sealed[0]).toBe(1);
    const second = await read(secretRef, secretSql);
    expect(second).toMatchObject({ value: 'xoxb-from-before' });
    expect(second.sealed[0]).toBe(2);

    expect((await read(endpointRef, endpointSql)).value).toBe('whsec_endpoint');
    expect((await read(endpointRef, endpointSql)).sealed[0]).toBe(2);

    // A reader holding the old value does not overwrite a secret replaced since it read it.
    const stale = legacySeal(secretRef, 'old value');
    await withTenant(api.db.pools.app, { workspaceId }, (client) =>
      openStoredSecret(client, TEST_SECRET_KEY, secretRef, stale),
    );
    expect((await read(secretRef, secretSql)).value).toBe('xoxb-from-before');
  });
});
