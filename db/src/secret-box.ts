/**
 * Secrets at rest — workspace secrets for plugins, inbound webhook secrets, outbound endpoint
 * signing secrets — sealed with AES-256-GCM under a key derived from SECRET_KEY. Each is bound to
 * its row by the additional authenticated data (the "context"), so a ciphertext copied to another
 * workspace, name or webhook does not open.
 *
 * Layout: version(1) | iv(12) | tag(16) | ciphertext. The first byte says how the key was made:
 * - 2 (written now): HKDF-SHA256(SECRET_KEY, salt "weft", info "weft/secret-box/v2").
 * - 1 (read only): two boxes once wrote this byte with different keys — SHA-256(SECRET_KEY) for
 *   webhook secrets and HKDF-SHA256(…, info "weft/secrets/aes-256-gcm/v1") for plugin secrets.
 *   GCM authenticates, so a wrong key fails instead of decrypting to garbage: both are tried.
 * Stored version-1 values are rewritten as version 2 when next read (`openStoredSecret`).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Queryable } from './tenant.ts';

const CURRENT = 2;
const LEGACY = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

const derived = new Map<string, Buffer>();

function memo(id: string, make: () => Buffer): Buffer {
  let key = derived.get(id);
  if (key === undefined) {
    key = make();
    derived.set(id, key);
  }
  return key;
}

function hkdfKey(secretKey: string, info: string): Buffer {
  return memo(`${info}\0${secretKey}`, () => Buffer.from(hkdfSync('sha256', secretKey, 'weft', info, 32)));
}

const currentKey = (secretKey: string) => hkdfKey(secretKey, 'weft/secret-box/v2');
const legacyKeys = (secretKey: string): Buffer[] => [
  memo(`sha256\0${secretKey}`, () => createHash('sha256').update(secretKey).digest()),
  hkdfKey(secretKey, 'weft/secrets/aes-256-gcm/v1'),
];

/** Seals `plaintext` in the current format, bound to `context`. */
export function sealSecret(secretKey: string, plaintext: string, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', currentKey(secretKey), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([CURRENT]), iv, cipher.getAuthTag(), body]);
}

function tryOpen(key: Buffer, sealed: Buffer, context: string): string | null {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, HEADER_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null; // wrong key, wrong context or tampered: GCM's tag does not match
  }
}

/** Opens a sealed secret of either format; throws when key, context or bytes do not match. */
export function openSecret(secretKey: string, sealed: Buffer, context: string): string {
  const version = sealed.length >= HEADER_BYTES ? sealed[0] : undefined;
  const keys = version === CURRENT ? [currentKey(secretKey)] : version === LEGACY ? legacyKeys(secretKey) : [];
  for (const key of keys) {
    const plaintext = tryOpen(key, sealed, context);
    if (plaintext !== null) return plaintext;
  }
  throw new Error('unreadable secret: wrong SECRET_KEY, another row, or damaged');
}

/** Whether a sealed value is in an earlier format (rewritten when next read). */
export function isLegacySecret(sealed: Buffer): boolean {
  return sealed[0] !== CURRENT;
}

/** Where each kind of secret is stored, and the context that binds it to its row. */
const STORES = {
  /** Workspace secrets plugins read (`secrets`, by name). */
  secrets: { column: 'ciphertext', key: 'name', context: (ws: string, name: string) => `${ws}/${name}` },
  /** Inbound webhook secrets (`webhooks`, by id). */
  webhooks: { column: 'secret_ciphertext', key: 'id', context: (ws: string, id: string) => `webhook:${ws}:${id}` },
  /** Outbound endpoint signing secrets (`webhook_endpoints`, by id). */
  webhook_endpoints: {
    column: 'secret_ciphertext',
    key: 'id',
    context: (ws: string, id: string) => `webhook-endpoint:${ws}:${id}`,
  },
} as const;

export type SecretStore = keyof typeof STORES;

/** Identifies one stored secret: its table, workspace and row key (name or id). */
export interface StoredSecretRef {
  store: SecretStore;
  workspaceId: string;
  key: string;
}

/** The context a stored secret is bound to. */
export function storedSecretContext(ref: StoredSecretRef): string {
  return STORES[ref.store].context(ref.workspaceId, ref.key);
}

/** Seals a secret for its row (the value to INSERT or UPDATE). */
export function sealStoredSecret(secretKey: string, ref: StoredSecretRef, plaintext: string): Buffer {
  return sealSecret(secretKey, plaintext, storedSecretContext(ref));
}

/**
 * Opens a secret read from its row. One in an earlier format is rewritten in the current one
 * through `client` (which must be in the row's tenant transaction), only if the row still holds
 * what was read: a concurrent replacement wins. A migration could not do this, as it has no
 * SECRET_KEY; rows that are never read stay readable in the old format.
 */
export async function openStoredSecret(
  client: Queryable,
  secretKey: string,
  ref: StoredSecretRef,
  sealed: Buffer,
): Promise<string> {
  const store = STORES[ref.store];
  const plaintext = openSecret(secretKey, sealed, storedSecretContext(ref));
  if (isLegacySecret(sealed)) {
    await client.query(
      `UPDATE ${ref.store} SET ${store.column} = $1 WHERE workspace_id = $2 AND ${store.key} = $3 AND ${store.column} = $4`,
      [sealStoredSecret(secretKey, ref, plaintext), ref.workspaceId, ref.key, sealed],
    );
  }
  return plaintext;
}
