import { createHash } from 'node:crypto';

/**
 * @public Subresource-Integrity style digest of a bundle: `sha256-<base64>`.
 * @example
 * if (bundleIntegrity(bundle) !== manifest.integrity) throw new Error('tampered bundle');
 */
export function bundleIntegrity(bundle: string): string {
  return `sha256-${createHash('sha256').update(bundle, 'utf8').digest('base64')}`;
}
