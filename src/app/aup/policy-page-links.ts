import { createHmac, timingSafeEqual } from 'node:crypto';
import { trimTrailing } from '../../domain/text.ts';

/**
 * Links to a policy's read-only page ("Read the full policy" on a Teams card). The page needs no sign-in,
 * so the link carries an HMAC of the school and policy ids: only DSL Desk can make one, and changing
 * either id in the address makes the page refuse.
 */
export function policyPageSignature(key: Uint8Array, schoolId: string, policyId: string): string {
  return createHmac('sha256', key).update(`${schoolId}:${policyId}`, 'utf8').digest('base64url');
}

/** The page's address, for cards and messages. */
export function policyPageUrl(publicUrl: string, key: Uint8Array, schoolId: string, policyId: string): string {
  return `${trimTrailing(publicUrl, '/')}/aup/policies/${encodeURIComponent(policyId)}/page?k=${policyPageSignature(key, schoolId, policyId)}`;
}

/** Whether `signature` (the `k` of a page address) was made for this school and policy. */
export function isValidPolicyPageSignature(key: Uint8Array, schoolId: string, policyId: string, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return false;
  const expected = Buffer.from(policyPageSignature(key, schoolId, policyId), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
