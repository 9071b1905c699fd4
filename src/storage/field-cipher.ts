import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts special-category fields at rest with AES-256-GCM. Each value carries the id of the key that
 * sealed it, so keys can be rotated: new writes use the current key, old values stay readable as long
 * as their key is in the ring. The associated data binds a value to its row, so a ciphertext copied into
 * another school's or case's row fails to decrypt.
 */
export interface KeyRing {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const FORMAT = 'v1';

/** First byte of a sealed binary value; the text format starts with FORMAT instead. */
const BINARY_FORMAT = 1;

export class FieldCipher {
  readonly #ring: KeyRing;
  /** HMAC keys for lookup hashes, derived from each data key; current key first. */
  readonly #lookupKeys: ReadonlyMap<string, Buffer>;

  constructor(ring: KeyRing) {
    const current = ring.keys.get(ring.currentKeyId);
    if (!current) throw new Error(`The current data key "${ring.currentKeyId}" is not in the key ring.`);
    for (const [id, key] of ring.keys) {
      if (key.length !== 32) throw new Error(`Data key "${id}" must be 32 bytes (AES-256).`);
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(id)) throw new Error(`Data key id "${id}" may only use letters, digits, _ and -.`);
    }
    this.#ring = ring;
    const ids = [ring.currentKeyId, ...[...ring.keys.keys()].filter((id) => id !== ring.currentKeyId)];
    this.#lookupKeys = new Map(ids.map((id) => [id, Buffer.from(hkdfSync('sha256', ring.keys.get(id)!, Buffer.alloc(0), 'dsl-desk lookup hash v1', 32))]));
  }

  encrypt(plaintext: string, context: string): string {
    const keyId = this.#ring.currentKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#ring.keys.get(keyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string, context: string): string {
    const [format, keyId, iv, tag, body] = sealed.split('.');
    if (format !== FORMAT || !keyId || iv === undefined || tag === undefined || body === undefined) throw new Error('Stored value is not in a known encrypted format.');
    const key = this.#ring.keys.get(keyId);
    if (!key) throw new Error(`Stored value was sealed with data key "${keyId}", which is not configured.`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * The same sealing for large binary values (a reported .eml of up to tens of megabytes), without the
   * base64 text round trip: version byte, key id, iv, tag, then the ciphertext.
   */
  encryptBytes(plaintext: Uint8Array, context: string): Buffer {
    const keyId = this.#ring.currentKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#ring.keys.get(keyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(keyId, 'utf8');
    return Buffer.concat([Buffer.from([BINARY_FORMAT, id.length]), id, iv, cipher.getAuthTag(), body]);
  }

  decryptBytes(sealed: Uint8Array, context: string): Buffer {
    const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (data[0] !== BINARY_FORMAT || data.length < 2) throw new Error('Stored value is not in a known encrypted format.');
    const idLength = data[1]!;
    const keyId = data.subarray(2, 2 + idLength).toString('utf8');
    const key = this.#ring.keys.get(keyId);
    if (!key) throw new Error(`Stored value was sealed with data key "${keyId}", which is not configured.`);
    const iv = data.subarray(2 + idLength, 14 + idLength);
    const tag = data.subarray(14 + idLength, 30 + idLength);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data.subarray(30 + idLength)), decipher.final()]);
  }

  /**
   * Keyed hashes of a value (a UPN) for finding it without storing it in the clear: HMAC-SHA-256 under a key
   * derived (HKDF) from each data key of the ring, current key first, each prefixed with its key id. New rows
   * store the first; a lookup asks for any of them, so a row hashed before a key rotation is still found. The
   * context binds the hash to its purpose and school, so equal values in two schools hash differently.
   */
  lookupHashes(value: string, context: string): string[] {
    return [...this.#lookupKeys].map(([id, key]) => `${id}.${createHmac('sha256', key).update(`${context}\u0000${value}`, 'utf8').digest('base64url')}`);
  }

  /** The key a stored value was sealed with, for re-encryption after a rotation. */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }
}

/** Parses `id1:base64key,id2:base64key` (the DATA_KEYS setting). */
export function parseKeyRing(spec: string, currentKeyId: string): KeyRing {
  const keys = new Map<string, Buffer>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const separator = part.indexOf(':');
    if (separator <= 0) throw new Error('DATA_KEYS must look like "key-id:base64-of-32-bytes[,other-id:...]".');
    keys.set(part.slice(0, separator), Buffer.from(part.slice(separator + 1), 'base64'));
  }
  return { currentKeyId, keys };
}
