import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// Layout: version(1) | iv(12) | tag(16) | ciphertext. The version byte lets the scheme change later.
const VERSION = 1;

function keyOf(secretKey: string): Buffer {
  // SECRET_KEY is any string of ≥ 32 characters; hashing gives exactly the 32 bytes AES-256 needs.
  return createHash('sha256').update(secretKey).digest();
}

/** Encrypts with AES-256-GCM under SECRET_KEY; `context` binds the ciphertext to its row. */
export function seal(secretKey: string, plaintext: string, context: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secretKey), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function open(secretKey: string, sealed: Buffer, context: string): string {
  if (sealed[0] !== VERSION) throw new Error('unknown secret format');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secretKey), sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
}
