import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from './domain/ports.ts';

/** The real clock and id generator, wired in by main.ts; tests pass their own. */
export const systemClock: Clock = { now: () => new Date() };
export const randomIds: IdGenerator = { newId: () => randomUUID() };
