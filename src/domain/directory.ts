import { z } from 'zod';
import { textField } from './text.ts';

/**
 * The school's Microsoft 365 directory as DSL Desk sees it: who exists, who has just arrived, and how DSL
 * Desk's Teams app reaches them. Graph is read through the ports below; the rules that decide who is a new
 * member of staff (rather than a guest, a disabled account or a scanner's mailbox) are pure and live here.
 */

/** A directory account as DSL Desk sees it (from Graph users/delta). */
export interface DirectoryUser {
  objectId: string;
  userPrincipalName: string | null;
  displayName: string | null;
  mail: string | null;
  department: string | null;
  jobTitle: string | null;
  /** null when no read so far has said (delta returns only changed properties for updated users). */
  accountEnabled: boolean | null;
  userType: 'Member' | 'Guest' | null;
  /** ISO date (YYYY-MM-DD) or null. */
  employeeHireDate: string | null;
  managerObjectId: string | null;
  /** Graph's assignedLicenses count: 0 = unlicensed (still a person; Teams will likely refuse). null = not given. */
  licenceCount: number | null;
  /** Deleted or removed from the directory (delta's "@removed"). */
  removed: boolean;
  /** Facts a trust's membership rules may test (optional: a school on its own never needs them). */
  companyName?: string | null;
  officeLocation?: string | null;
  /** Entra's on-premises extension attributes, `extensionAttribute1`…`15`. */
  extensionAttributes?: Record<string, string | null> | null;
}

/** The properties a delta page may leave out: an updated account arrives with only what changed. */
export type DirectoryUserProperty = Exclude<keyof DirectoryUser, 'objectId' | 'removed'>;

/**
 * One account as a delta page reports it. A property that is `undefined` was left out of the page and is
 * unchanged; `null` means Graph said it is now empty. `removed` is always stated, because an account that
 * appears without "@removed" is present (new, changed or restored). A full DirectoryUser is also a change.
 */
export type DirectoryUserChange = Pick<DirectoryUser, 'objectId' | 'removed'> & { [K in DirectoryUserProperty]?: DirectoryUser[K] };

export interface DirectoryChangePage {
  users: DirectoryUserChange[];
}

/** Reads changes since the last delta link (or a full first sync without one). */
export interface DirectoryReader {
  /**
   * Calls onPage for every page in order (so a big tenant is never held in memory at once) and returns the
   * new delta link. `resynced` is true when Graph said the old link had expired (410) and a full read was done
   * instead: the pages then described everyone present, and an account the caller knew that none of them
   * named has left the directory.
   */
  readChanges(tenantId: string, deltaLink: string | undefined, onPage: (page: DirectoryChangePage) => Promise<void>): Promise<{ deltaLink: string; resynced: boolean }>;
}

export type InstallOutcome = 'installed' | 'already_installed';

export interface TeamsAppInstaller {
  /** Installs DSL Desk's Teams app (catalog id) in the person's personal scope. 201 → installed, 409 → already_installed. Refusals throw DirectoryRefusal. */
  installForUser(tenantId: string, userObjectId: string, catalogAppId: string): Promise<InstallOutcome>;
  /** The id of the 1:1 chat between the person and the app (Graph chat id, usable as the Bot Framework conversation id). Refusals throw DirectoryRefusal. */
  findChatWithApp(tenantId: string, userObjectId: string, catalogAppId: string): Promise<string>;
}

/** Why Microsoft 365 refused: recorded on the person's AUP delivery, so the office knows why the card did not arrive. */
export const DIRECTORY_REFUSALS = ['no_teams_licence', 'app_blocked', 'user_not_found', 'permission_missing', 'unavailable'] as const;
export type DirectoryRefusalCode = (typeof DIRECTORY_REFUSALS)[number];

/** What the office is told for each refusal: what happened and who can fix it, never whose account it was. */
export const DIRECTORY_REFUSAL_MESSAGES: Record<DirectoryRefusalCode, string> = {
  no_teams_licence: 'Microsoft 365 says this person has no Teams licence. Ask IT to assign one; DSL Desk will try again once it appears.',
  app_blocked: 'Microsoft 365 blocked DSL Desk’s Teams app for this person. Ask IT to allow the app in the Teams admin centre.',
  user_not_found: 'Microsoft Teams does not know this person yet. A new account can take up to a day to reach Teams; DSL Desk will try again.',
  permission_missing: 'DSL Desk is not allowed to install its Teams app for staff yet. Ask IT to grant admin consent for TeamsAppInstallation.ReadWriteSelfForUser.All.',
  unavailable: 'Microsoft 365 did not answer in time. DSL Desk will try again shortly.',
};

/**
 * Microsoft 365 refused to reach a person through Teams. `message` is safe to show to the school office.
 * `retryable` says whether trying again later can succeed without anyone changing anything; `detail` names
 * the HTTP status and Graph error code for support, and never carries Graph's own message (it can name the account).
 */
export class DirectoryRefusal extends Error {
  readonly code: DirectoryRefusalCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly detail?: string;

  constructor(code: DirectoryRefusalCode, message: string = DIRECTORY_REFUSAL_MESSAGES[code], options: { retryable?: boolean; retryAfterMs?: number; detail?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DirectoryRefusal';
    this.code = code;
    // Only an outage or a person Teams has not caught up with yet clears by itself; the rest need IT.
    this.retryable = options.retryable ?? (code === 'unavailable' || code === 'user_not_found');
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

export function isDirectoryRefusal(error: unknown): error is DirectoryRefusal {
  return error instanceof DirectoryRefusal;
}

// ---------------------------------------------------------------------------------------------------------
// Who is a new member of staff
// ---------------------------------------------------------------------------------------------------------

/** Case-insensitive regex sources matched against the UPN's local part and the display name. */
export interface StarterRules {
  serviceAccountPatterns: string[];
}

/**
 * Accounts in a UK school tenant that are not a person who could sign an Acceptable Use Policy. Each pattern
 * ends at a separator, a digit or the end, so that surnames such as Scanlon, Testa or Adamson are not caught.
 * Leaving a person out is worse than sending one card to a shared mailbox, so shared role accounts are only
 * matched by their exact name; anything else a school uses can be added to its own rules.
 */
export const DEFAULT_SERVICE_ACCOUNT_PATTERNS: string[] = [
  // Service and application accounts: svc-backup, service.sims, sa_intune, app-wonde, serviceaccount.
  '^svc',
  '^service(?:[-_.\\s\\d]|accounts?|$)',
  '^sa[-_.]',
  '^app[-_.]',
  // Administrator accounts, including a person's second, privileged login: admin, admin.jsmith, adm-jsmith, jsmith-admin, Administrator.
  '^admin(?:istrator)?(?:[-_.\\s\\d]|$)',
  '^adm[-_.]',
  '[-_.](?:admin|adm)$',
  '^(?:global|tenant)[-_.\\s]?admin',
  // Emergency access accounts Microsoft recommends every tenant keeps.
  '^break[-_.\\s]?glass',
  '^emergency[-_.\\s]?(?:access|admin)',
  // Directory synchronisation: Entra Connect's Sync_<server>_<id>, the older MSOL_<id>, and its display name.
  '^(?:sync|msol|aad|adsync)(?:[-_.\\s\\d]|$)',
  'directory synchroni[sz]ation',
  // Rooms, resources and devices with a mailbox: Room 12, room-101, Conference Room, scanner1, scan-to-email, printer.
  '^(?:room|resource|equipment)(?:[-_.\\s\\d]|$)',
  '^(?:conf(?:erence)?|meeting)[-_.\\s]?room',
  '^scan(?:ner|s|to)?(?:[-_.\\s\\d]|$)',
  '^scan[-_.\\s]?to[-_.\\s]?(?:e-?mail|folder)',
  '^(?:printer|print|mfd|copier|photocopier)(?:[-_.\\s\\d]|$)',
  '^(?:kiosk|signage|display)(?:[-_.\\s\\d]|$)',
  // Addresses that only send: noreply, no-reply, donotreply, do-not-reply.
  '^no-?reply',
  '^do-?not-?reply',
  // Test, demo and template accounts: test, test.pupil, testuser1, demo-staff, template.staff.
  '^(?:test|demo|template)(?:[-_.\\s\\d]|user|account|staff|pupil|student|teacher|$)',
  // Shared mailboxes that were given a licence or a sign-in: shared.office, mailbox-finance.
  '^shared(?:[-_.\\s]|mailbox|$)',
  '^mailbox(?:[-_.\\s\\d]|$)',
  // Numbered exam-room logins: exam01, examuser3, exams-candidate-12.
  '^exams?(?:[-_.\\s]?(?:user|candidate|account|room))?[-_.\\s]?\\d+$',
  // School role mailboxes, matched only by their exact name: office@, reception@, admissions@ and the like.
  '^(?:office|reception|admissions|enquiries|enquiry|info|finance|accounts|exams|attendance|absence|helpdesk|itsupport|ictsupport|lettings|bookings)$',
  // Accounts that management-information-system connectors create (Wonde, Groupcall Xporter, SalamanderSoft).
  '^(?:wonde|groupcall|xporter|salamander)(?:[-_.\\s\\d]|$)',
];

/** Rules as a school's settings hold them: every pattern must be a regular expression that compiles. */
export const starterRulesSchema = z.strictObject({
  serviceAccountPatterns: z
    .array(
      textField()
        .min(1, 'A pattern cannot be empty.')
        .max(200, 'Keep each pattern under 200 characters.')
        .refine(
          (pattern) => {
            try {
              new RegExp(pattern, 'i');
              return true;
            } catch {
              return false;
            }
          },
          { message: 'This is not a valid regular expression.' },
        ),
    )
    .max(200, 'Keep the list under 200 patterns.'),
});

export type StarterVerdict = { kind: 'person' } | { kind: 'ignored'; reason: 'guest' | 'disabled' | 'service' | 'removed' | 'no_sign_in_name' };

// Compiled once per rules object: classification runs for every account of every page.
const compiled = new WeakMap<StarterRules, RegExp[]>();
function patternsOf(rules: StarterRules): RegExp[] {
  let patterns = compiled.get(rules);
  if (!patterns) {
    patterns = rules.serviceAccountPatterns.map((source) => new RegExp(source, 'i'));
    compiled.set(rules, patterns);
  }
  return patterns;
}

/**
 * Whether a directory account is a person DSL Desk should welcome, or why not. Give it the merged account
 * (mergeDirectoryUser), not a bare delta entry. A member whose accountEnabled is still unknown counts as a
 * person: Graph states it on the first read, so unknown means the caller merged nothing that said otherwise.
 */
export function classifyDirectoryUser(user: DirectoryUser, rules: StarterRules): StarterVerdict {
  if (user.removed) return { kind: 'ignored', reason: 'removed' };
  const upn = user.userPrincipalName?.trim() ?? '';
  // B2B guests are Member-typed sometimes (converted or invited as members); their UPN still carries #EXT#.
  if (user.userType === 'Guest' || upn.toUpperCase().includes('#EXT#')) return { kind: 'ignored', reason: 'guest' };
  if (user.accountEnabled === false) return { kind: 'ignored', reason: 'disabled' };
  if (!upn) return { kind: 'ignored', reason: 'no_sign_in_name' };
  // Entra's own limits (64 and 256 characters): patterns never read more than a real account can hold.
  const localPart = (upn.split('@')[0] ?? '').slice(0, 64);
  const displayName = (user.displayName?.trim() ?? '').slice(0, 256);
  const patterns = patternsOf(rules);
  if (patterns.some((pattern) => pattern.test(localPart) || (displayName !== '' && pattern.test(displayName)))) return { kind: 'ignored', reason: 'service' };
  return { kind: 'person' };
}

/**
 * The account after a change: what the change states, and for everything it left out, what was known before
 * (or null when nothing was). Removal keeps the last known details, so the office can still see who left.
 */
export function mergeDirectoryUser(previous: DirectoryUser | undefined, changed: DirectoryUserChange): DirectoryUser {
  if (previous && previous.objectId !== changed.objectId) throw new Error('mergeDirectoryUser: the change is for a different account');
  const pick = <K extends DirectoryUserProperty>(property: K): DirectoryUser[K] => {
    const value = changed[property];
    return (value !== undefined ? value : (previous?.[property] ?? null)) as DirectoryUser[K];
  };
  return {
    objectId: changed.objectId,
    userPrincipalName: pick('userPrincipalName'),
    displayName: pick('displayName'),
    mail: pick('mail'),
    department: pick('department'),
    jobTitle: pick('jobTitle'),
    accountEnabled: pick('accountEnabled'),
    userType: pick('userType'),
    employeeHireDate: pick('employeeHireDate'),
    managerObjectId: pick('managerObjectId'),
    licenceCount: pick('licenceCount'),
    removed: changed.removed,
  };
}
