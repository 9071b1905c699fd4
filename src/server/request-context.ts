import type { Response } from 'express';
import type { SignedInIdentity } from '../domain/identity.ts';
import type { Actor } from '../domain/roles.ts';

/** The authenticated actor of this request, set by the authentication middleware. */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('Route reached without an authenticated actor.');
  return actor;
}

/** The verified identity behind the actor (provider, tenant), for routes that act as the person elsewhere. */
export function identityOf(res: Response): SignedInIdentity {
  const identity = res.locals.identity as SignedInIdentity | undefined;
  if (!identity) throw new Error('Route reached without a verified identity.');
  return identity;
}
