import { draftKeyFor, newUuid, ReportDrafts, reportFingerprint, type StorageLike } from '../../../addon/outlook/src/drafts.ts';

class MemoryStorage implements StorageLike {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

describe('note retention', () => {
  it('keeps the note per message until the report is received', () => {
    const storage = new MemoryStorage();
    const drafts = new ReportDrafts(storage, draftKeyFor({ internetMessageId: '<a@x>', itemId: 'AAMk1' }));
    drafts.saveNote('He asked for my bank details');
    // The page is reloaded (or the task pane reopened) after a failure: the note is still there.
    expect(new ReportDrafts(storage, '<a@x>').loadNote()).toBe('He asked for my bank details');
    // Another message has its own note.
    expect(new ReportDrafts(storage, '<b@x>').loadNote()).toBe('');
    drafts.clear();
    expect(new ReportDrafts(storage, '<a@x>').loadNote()).toBe('');
    expect([...storage.map.keys()]).toEqual([]);
  });

  it('still keeps the note in memory where storage is missing or refuses writes', () => {
    expect(new ReportDrafts(undefined, 'k').loadNote()).toBe('');
    const none = new ReportDrafts(undefined, 'k');
    none.saveNote('typed');
    expect(none.loadNote()).toBe('typed');
    const full: StorageLike = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    const drafts = new ReportDrafts(full, 'k');
    drafts.saveNote('typed anyway');
    expect(drafts.loadNote()).toBe('typed anyway');
  });

  it('uses the internet message id when there is one, the item id otherwise', () => {
    expect(draftKeyFor({ internetMessageId: '<a@x>', itemId: 'AAMk1' })).toBe('<a@x>');
    expect(draftKeyFor({ internetMessageId: '', itemId: 'AAMk1' })).toBe('AAMk1');
  });
});

describe('Idempotency-Key per report attempt', () => {
  it('reuses the key while the same report is retried, and starts a new one when what is sent changes', () => {
    const storage = new MemoryStorage();
    let counter = 0;
    const next = () => `key-${(counter += 1)}`;
    const drafts = new ReportDrafts(storage, '<a@x>');
    const same = reportFingerprint(['graph', 'phishing', 'note', '<a@x>']);
    expect(drafts.attemptKey(same, next)).toBe('key-1');
    expect(drafts.attemptKey(same, next)).toBe('key-1');
    // Survives a reload of the pane.
    expect(new ReportDrafts(storage, '<a@x>').attemptKey(same, next)).toBe('key-1');
    expect(drafts.attemptKey(reportFingerprint(['graph', 'safeguarding', 'note', '<a@x>']), next)).toBe('key-2');
    drafts.clear();
    expect(drafts.attemptKey(same, next)).toBe('key-3');
  });

  it('makes version-4 UUIDs', () => {
    const a = newUuid();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newUuid()).not.toBe(a);
  });
});
