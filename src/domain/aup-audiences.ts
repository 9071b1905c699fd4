/**
 * The audiences a school's acceptable use policies are written for. Kept apart from `aup.ts` so a caller
 * that only needs the names (the CLI's help text) does not load the policy schemas.
 */
export const AUP_AUDIENCES = ['staff', 'supply', 'visitor', 'governor', 'volunteer', 'external_group'] as const;
export type AupAudience = (typeof AUP_AUDIENCES)[number];
