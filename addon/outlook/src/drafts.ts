/**
 * What the reporter typed, kept in sessionStorage until the report is safely received, and the
 * Idempotency-Key of the current attempt, so a retry of the same report is recognised by the server.
 * sessionStorage (not localStorage): a note about a child must not outlive the Outlook window on a shared PC.
 */

/** The part of the Web Storage API used here; absent in Outlook's JavaScript-only runtime. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const PREFIX = 'dsl-desk.outlook';

/** The storage of this page if it has one that works (private modes and the JavaScript-only runtime may not). */
export function sessionStorageOrNone(): StorageLike | undefined {
  try {
    const storage = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
    if (!storage) return undefined;
    const probe = `${PREFIX}.probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return undefined;
  }
}

/** A stable key for the open message: its internet message id if it has one, else its item id. */
export function draftKeyFor(item: { internetMessageId?: string | null; itemId?: string | null }): string {
  return (item.internetMessageId || item.itemId || 'current-item').trim();
}

export class ReportDrafts {
  private readonly storage: StorageLike | undefined;
  private readonly key: string;
  /** In memory too, so nothing is lost where storage is missing or full. */
  private memoryNote = '';
  private memoryAttempt: { fingerprint: string; key: string } | undefined;
  private memoryChildren: { picked: { id: string; name: string; yearGroup?: string; registrationGroup?: string }[]; typedName: string } = { picked: [], typedName: '' };

  constructor(storage: StorageLike | undefined, messageKey: string) {
    this.storage = storage;
    this.key = `${PREFIX}.${messageKey}`;
  }

  loadNote(): string {
    return this.read(`${this.key}.note`) ?? this.memoryNote;
  }

  saveNote(note: string): void {
    this.memoryNote = note;
    if (note === '') this.remove(`${this.key}.note`);
    else this.write(`${this.key}.note`, note);
  }

  /**
   * The children picked and the name typed (the pane reopened on the same message gets them back), kept like the
   * note: in sessionStorage until the report is received.
   */
  loadChildren(): { picked: { id: string; name: string; yearGroup?: string; registrationGroup?: string }[]; typedName: string } {
    const raw = this.read(`${this.key}.children`);
    if (raw) {
      try {
        const parsed = JSON.parse(raw) as { picked?: unknown; typedName?: unknown };
        const picked = Array.isArray(parsed.picked)
          ? parsed.picked.filter((pupil): pupil is { id: string; name: string; yearGroup?: string; registrationGroup?: string } => Boolean(pupil) && typeof pupil.id === 'string' && typeof pupil.name === 'string')
          : [];
        return { picked, typedName: typeof parsed.typedName === 'string' ? parsed.typedName : '' };
      } catch {
        // a damaged entry: the memory copy, if any
      }
    }
    return this.memoryChildren;
  }

  saveChildren(children: { picked: { id: string; name: string; yearGroup?: string; registrationGroup?: string }[]; typedName: string }): void {
    this.memoryChildren = { picked: [...children.picked], typedName: children.typedName };
    if (!children.picked.length && !children.typedName) this.remove(`${this.key}.children`);
    else this.write(`${this.key}.children`, JSON.stringify(this.memoryChildren));
  }

  /**
   * The Idempotency-Key for a report with this fingerprint (choice, note, route): the same key while the
   * same report is retried, a new one when the person changes what they send.
   */
  attemptKey(fingerprint: string, newKey: () => string): string {
    let stored: { fingerprint: string; key: string } | undefined = this.memoryAttempt;
    const raw = this.read(`${this.key}.attempt`);
    if (raw) {
      try {
        const parsed = JSON.parse(raw) as { fingerprint?: unknown; key?: unknown };
        if (typeof parsed.fingerprint === 'string' && typeof parsed.key === 'string') stored = { fingerprint: parsed.fingerprint, key: parsed.key };
      } catch {
        // a damaged entry: start a new attempt
      }
    }
    if (stored && stored.fingerprint === fingerprint) return stored.key;
    const attempt = { fingerprint, key: newKey() };
    this.memoryAttempt = attempt;
    this.write(`${this.key}.attempt`, JSON.stringify(attempt));
    return attempt.key;
  }

  /** After a report was received: forget the note, the children and the attempt. */
  clear(): void {
    this.memoryNote = '';
    this.memoryAttempt = undefined;
    this.memoryChildren = { picked: [], typedName: '' };
    this.remove(`${this.key}.note`);
    this.remove(`${this.key}.children`);
    this.remove(`${this.key}.attempt`);
  }

  private read(key: string): string | undefined {
    try {
      return this.storage?.getItem(key) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private write(key: string, value: string): void {
    try {
      this.storage?.setItem(key, value);
    } catch {
      // full or refused: the in-memory copy still holds it for this page
    }
  }

  private remove(key: string): void {
    try {
      this.storage?.removeItem(key);
    } catch {
      // nothing to do
    }
  }
}

/** A fingerprint of what is being sent, so a changed report gets a new Idempotency-Key. */
export function reportFingerprint(parts: readonly string[]): string {
  // FNV-1a over the joined parts: short, stable, and no note text stored in clear a second time.
  let hash = 0x811c9dc5;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${parts.length}:${text.length}:${hash.toString(16)}`;
}

/** A random UUID (v4), from crypto.randomUUID where it exists. */
export function newUuid(): string {
  const cryptoObject = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (array: Uint8Array) => Uint8Array } }).crypto;
  if (cryptoObject?.randomUUID) return cryptoObject.randomUUID();
  const bytes = new Uint8Array(16);
  if (cryptoObject?.getRandomValues) cryptoObject.getRandomValues(bytes);
  else for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
