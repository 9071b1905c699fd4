import { v7 as uuidv7 } from 'uuid';
import type { Clock, IdGenerator } from './domain/ports.ts';

/**
 * The real clock and id generator, wired in by main.ts; tests pass their own. Ids are UUIDv7: time-ordered,
 * so new rows land at the end of primary-key indexes instead of scattering writes across the file.
 */
export const systemClock: Clock = { now: () => new Date() };
export const randomIds: IdGenerator = { newId: () => uuidv7() };
