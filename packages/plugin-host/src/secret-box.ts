/**
 * Secrets at rest: AES-256-GCM with a key derived from SECRET_KEY (HKDF-SHA256). The workspace and
 * the secret's name are the additional authenticated data, so a ciphertext copied to another
 * workspace or name does not decrypt.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const keys = new Map<string, Buffer>();

function keyFor(secretKey: string): Buffer {
  let key = keys.get(secretKey);
  if (key === undefined) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'weft', 'weft/secrets/aes-256-gcm/v1', 32));
    keys.set(secretKey, key);
  }
  return key;
}

function aad(workspaceId: string, name: string): Buffer {
  return Buffer.from(`${workspaceId}/${name}`, 'utf8');
}

export function encryptSecret(secretKey: string, workspaceId: string, name: string, value: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secretKey), iv);
  cipher.setAAD(aad(workspaceId, name));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function decryptSecret(secretKey: string, workspaceId: string, name: string, blob: Buffer): string {
  if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new Error('unreadable secret ciphertext');
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secretKey), iv);
  decipher.setAAD(aad(workspaceId, name));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
