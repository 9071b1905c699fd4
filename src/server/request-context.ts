import type { Response } from 'express';
import type { Actor } from '../domain/roles.ts';

/** The authenticated actor of this request, set by the authentication middleware. */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('Route reached without an authenticated actor.');
  return actor;
}
