import type { AuditAction, AuditBreak, AuditEvent, AuditEventInput } from './audit.ts';
import type { UkRegion } from './bank-holidays.ts';
import type { AuditSeal, AuditSealKeys, AuditSealProblem } from './audit-seal.ts';
import type { Case, CaseStatus } from './case.ts';
import type { CaseCardRecord, CaseChannel, ChatPlatform, ChatUser } from './chat.ts';
import type { DeliveryFallbackRecord } from './delivery-fallback.ts';
import type { LegalHold, StoredEmail, VerdictDecision } from './email-report.ts';
import type { AupAcknowledgement, AupAudience, AupPolicyVersion } from './aup.ts';
import type { AupCampaign, AupDelivery, AupDeliveryState, AupProfile, AupSettings, AupSigningLink } from './aup-delivery.ts';
import type { IncidentTypeCode, Urgency } from './incident-types.ts';
import type { Role } from './roles.ts';
import type { ReportsCursor } from './google-directory.ts';
import type { MailboxRemoval } from './mailbox-removal.ts';
import type { PatternRule } from './pupil.ts';
import type { PupilMerge, PupilPatternAlert, PupilPatternCardRecord, StoredCaseChild, StoredPatternRule, StoredProtectionStatus } from './case-children.ts';
import type { Pupil } from './pupil.ts';
import type { PupilSearchIndex } from './pupil-search.ts';
import type { PupilAccountRule } from './pupil-accounts.ts';
import type { AlertImportCursor } from './alert-center.ts';
import type { DirectoryProvider, MembershipOverride, MembershipRule, Organisation, OrganisationDirectory, OrganisationRole } from './organisation.ts';

/**
 * The ports the use cases depend on. Storage engines implement them; use cases receive them as
 * arguments. Every method that reads or writes school data takes the school id: nothing is unscoped.
 */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}

export interface School {
  id: string;
  name: string;
  slug: string;
  /** The trust, local authority or single-school organisation the school belongs to. */
  organisationId: string;
  /** The Microsoft 365 tenant the school's people sign in to: a trust's schools share one. */
  entraTenantId: string | null;
  googleDomain: string | null;
  timeZone: string;
  /** Whose bank holidays close the school (default England's). */
  region?: UkRegion;
  createdAt: string;
}

export interface Person {
  id: string;
  schoolId: string;
  displayName: string;
  email: string;
  entraObjectId: string | null;
  googleSubject: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PersonWithRoles extends Person {
  roles: Role[];
}

export interface CaseFilter {
  statuses?: CaseStatus[];
  urgencies?: Urgency[];
  type?: IncidentTypeCode;
  assigneeId?: string;
  /** Return cases created before this point (keyset pagination, newest first). */
  before?: { createdAt: string; id: string };
  limit: number;
}

/** The non-sensitive columns of a case, enough to list and authorise without decrypting. */
export interface CaseHeader {
  id: string;
  schoolId: string;
  reference: string;
  status: CaseStatus;
  urgency: Urgency;
  types: IncidentTypeCode[];
  restricted: boolean;
  subjectPersonId?: string;
  aboutHeadteacher?: boolean;
  assigneeId?: string;
  reporterCount: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface MyReport {
  caseId: string;
  reference: string;
  status: CaseStatus;
  reportedAt: string;
  updatedAt: string;
}

export interface OutboxMessageInput {
  schoolId: string;
  kind: string;
  /** Ids and codes only: handlers load what they need, so no concern text sits in the queue. */
  payload: Record<string, unknown>;
  /** Enqueueing the same key twice is a no-op. */
  dedupeKey?: string;
  runAfter?: string;
}

export interface OutboxMessage {
  id: string;
  schoolId: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: string;
}

export interface SchoolRepository {
  get(id: string): Promise<School | undefined>;
  getBySlug(slug: string): Promise<School | undefined>;
  list(): Promise<School[]>;
  listByOrganisation(organisationId: string): Promise<School[]>;
  insert(school: School): Promise<void>;
}

export interface OrganisationRepository {
  get(id: string): Promise<Organisation | undefined>;
  getBySlug(slug: string): Promise<Organisation | undefined>;
  /** The organisation that owns an Entra tenant id or a Google Workspace domain. */
  findByDirectory(provider: DirectoryProvider, key: string): Promise<Organisation | undefined>;
  list(): Promise<Organisation[]>;
  insert(organisation: Organisation): Promise<void>;
  addDirectory(organisationId: string, provider: DirectoryProvider, key: string): Promise<void>;
  listDirectories(organisationId: string): Promise<OrganisationDirectory[]>;
  listRules(organisationId: string): Promise<MembershipRule[]>;
  insertRule(rule: MembershipRule): Promise<void>;
  deleteRule(organisationId: string, ruleId: string): Promise<boolean>;
  listOverrides(organisationId: string): Promise<MembershipOverride[]>;
  addOverride(override: MembershipOverride): Promise<void>;
  removeOverrides(organisationId: string, email: string): Promise<number>;
  grantRole(organisationId: string, email: string, role: OrganisationRole, at: string): Promise<void>;
  rolesOf(organisationId: string, email: string): Promise<OrganisationRole[]>;
}

export interface PersonRepository {
  get(schoolId: string, personId: string): Promise<PersonWithRoles | undefined>;
  findByEmail(schoolId: string, email: string): Promise<PersonWithRoles | undefined>;
  findByEntraObjectId(schoolId: string, objectId: string): Promise<PersonWithRoles | undefined>;
  findByGoogleSubject(schoolId: string, subject: string): Promise<PersonWithRoles | undefined>;
  list(schoolId: string): Promise<PersonWithRoles[]>;
  listWithRole(schoolId: string, role: Role): Promise<PersonWithRoles[]>;
  insert(person: Person): Promise<void>;
  update(person: Person): Promise<void>;
  grantRole(schoolId: string, personId: string, role: Role, at: string): Promise<boolean>;
  revokeRole(schoolId: string, personId: string, role: Role): Promise<boolean>;
}

export interface CaseRepository {
  /** With `lock`, other writers of this case wait until this transaction ends (PostgreSQL row lock). */
  get(schoolId: string, caseId: string, options?: { lock?: boolean }): Promise<Case | undefined>;
  getHeader(schoolId: string, caseId: string): Promise<CaseHeader | undefined>;
  findIdByReference(schoolId: string, reference: string): Promise<string | undefined>;
  find(schoolId: string, filter: CaseFilter): Promise<CaseHeader[]>;
  findForReporter(schoolId: string, personId: string, limit: number): Promise<MyReport[]>;
  /** The next reference number for the school and year, unique even under concurrent reports. */
  nextSequence(schoolId: string, year: number): Promise<number>;
  insert(created: Case): Promise<void>;
  /** Saves the new state if nobody else changed the case since `expectedVersion`; false otherwise. */
  update(changed: Case, expectedVersion: number): Promise<boolean>;
  addReporter(schoolId: string, caseId: string, personId: string, reportedAt: string, channel: string): Promise<void>;
  /** When this person reported this case, if they did. */
  reportedAt(schoolId: string, caseId: string, personId: string): Promise<string | undefined>;
}

export interface IdempotencyRepository {
  /**
   * Claims a key for a new case. Returns undefined when this call won the key, or the case id the key
   * already points at. Concurrent claims of one key wait for each other, so exactly one wins.
   */
  claim(schoolId: string, personId: string, key: string, caseId: string, at: string): Promise<string | undefined>;
}

export interface CaseSourceRepository {
  /** Same idea for a reported message: the first report of a source owns it, later ones join that case. */
  claim(schoolId: string, fingerprint: string, caseId: string, at: string): Promise<string | undefined>;
  /** Points the source at another case, so later reports join that one. */
  reassign(schoolId: string, fingerprint: string, caseId: string): Promise<void>;
}

export interface AuditLog {
  append(event: AuditEventInput, at: string): Promise<AuditEvent>;
  listForCase(schoolId: string, caseId: string): Promise<AuditEvent[]>;
  /** Schools whose chain has at least one event. */
  schoolsWithChains(): Promise<string[]>;
  /** The school's chain head, locked for the rest of the transaction (so a seal sees a head no append is moving). */
  lockHead(schoolId: string): Promise<{ seq: number; hash: string } | undefined>;
  latestSeal(schoolId: string): Promise<AuditSeal | undefined>;
  addSeal(seal: AuditSeal): Promise<void>;
  /** Events of these actions, oldest first, narrowed by case, actor and time (inclusive bounds, ISO instants). */
  listByAction(schoolId: string, filter: AuditActionFilter): Promise<AuditEvent[]>;
}

export interface AuditActionFilter {
  actions: readonly AuditAction[];
  caseId?: string;
  actorId?: string;
  since?: string;
  until?: string;
  limit: number;
}

export interface Outbox {
  enqueue(message: OutboxMessageInput, at: string): Promise<void>;
}

export interface ChatRepository {
  getCaseChannel(schoolId: string, platform: ChatPlatform): Promise<CaseChannel | undefined>;
  /** Replaces the school's case channel on that platform. */
  setCaseChannel(channel: CaseChannel): Promise<void>;
  getUser(schoolId: string, personId: string, platform: ChatPlatform): Promise<ChatUser | undefined>;
  listUsers(schoolId: string, personIds: string[], platform: ChatPlatform): Promise<ChatUser[]>;
  /** Inserts or replaces the person's platform identity and, when given, their personal conversation. */
  saveUser(user: ChatUser): Promise<void>;
  getCaseCard(schoolId: string, caseId: string, target: string): Promise<CaseCardRecord | undefined>;
  listCaseCards(schoolId: string, caseId: string): Promise<CaseCardRecord[]>;
  /** Records that someone acted on the card at `at` (kept only if later than what is recorded); false when there is no such card. */
  markCaseCardWorked(schoolId: string, caseId: string, target: string, at: string): Promise<boolean>;
  saveCaseCard(card: CaseCardRecord): Promise<void>;
}

export interface DeliveryFallbackRepository {
  get(schoolId: string, dedupeKey: string): Promise<DeliveryFallbackRecord | undefined>;
  /** Records the fallback; false when one with the same key is already recorded (another instance won). */
  insert(record: DeliveryFallbackRecord): Promise<boolean>;
  listForCase(schoolId: string, caseId: string): Promise<DeliveryFallbackRecord[]>;
}

export interface EmailRepository {
  /** Stores a reported email's analysis and, when given, the sealed message itself. */
  insert(email: StoredEmail, content?: Uint8Array): Promise<void>;
  listForCase(schoolId: string, caseId: string): Promise<StoredEmail[]>;
  /** The school's earliest stored report of exactly these bytes (the SHA-256 of the .eml), if any. */
  findBySha256(schoolId: string, sha256: string): Promise<StoredEmail | undefined>;
  getContent(schoolId: string, emailId: string): Promise<Buffer | undefined>;
  /** Records the verdict a DSL or IT decided (sealed: the reason is theirs). */
  decideVerdict(schoolId: string, emailId: string, decision: VerdictDecision): Promise<void>;
  /**
   * Removes the sealed message for good (the analysis stays, with attachments by name, size and hash); with
   * `withhold`, also marks its attachments as withheld because they may be images of a child. False when there
   * was no message left to remove.
   */
  purgeContent(schoolId: string, emailId: string, options: { withhold: boolean }): Promise<boolean>;
  /**
   * Emails (any school) whose message is still kept, whose case was closed at or before `closedBefore`, and
   * whose case has no legal hold: what retention may drop now. At most `limit`, oldest closure first.
   */
  listDroppable(closedBefore: string, limit: number): Promise<StoredEmail[]>;
  getLegalHold(schoolId: string, caseId: string): Promise<LegalHold | undefined>;
  /** False when the case already has a hold. */
  placeLegalHold(schoolId: string, hold: LegalHold): Promise<boolean>;
  /** False when the case had no hold. */
  liftLegalHold(schoolId: string, caseId: string): Promise<boolean>;
}

/** Reads a reported message from the reporter's mailbox as the reporter (Graph on-behalf-of). */
export interface MailboxReader {
  fetchMessage(request: { userAssertion: string; tenantId: string; mailbox?: string; messageId: string; maxBytes: number }): Promise<Uint8Array>;
}

/**
 * Reads the message a user has open in Gmail, as the Gmail add-on is allowed to: with the user's OAuth token and
 * Gmail's per-message access token from the add-on event, during that request (both expire within minutes).
 * Resolves to the whole message (RFC 822); refuses one larger than `maxBytes`.
 */
export interface GmailMessageReader {
  fetchOpenMessage(request: { userOAuthToken: string; gmailAccessToken: string; messageId: string; maxBytes: number }): Promise<Uint8Array>;
}

/** A copy of a reported message in one mailbox of the school. */
export interface MessageCopy {
  mailbox: string;
  messageId: string;
}

/** DSL Desk's own (app-only) access to the school's mailboxes, for the DSL's tenant-wide actions. */
export interface MailboxAdmin {
  /**
   * Copies of a message in the school's mailboxes: only addresses in the school's own domains are searched,
   * because one tenant often serves a whole trust; when `mailboxes` is given (a trust's schools sharing one
   * domain), only those addresses. Mailboxes that could not be searched are counted.
   */
  findCopies(tenantId: string, internetMessageId: string, scope: { domains: string[]; mailboxes?: string[] }): Promise<{ copies: MessageCopy[]; mailboxesSearched: number; mailboxesFailed: number }>;
  moveToDeletedItems(tenantId: string, copy: MessageCopy): Promise<void>;
  /** Sends a new message with the .eml attached, whatever its size (a large one through an upload session). */
  sendWithAttachment(tenantId: string, message: { from: string; to: string[]; subject: string; body: string; attachmentName: string; eml: Uint8Array }): Promise<void>;
  /** A plain message (a 1:1 notice for someone DSL Desk cannot reach in chat). */
  sendMessage(tenantId: string, message: { from: string; to: string[]; subject: string; body: string }): Promise<void>;
}

/**
 * A Google Workspace school's mailboxes, each opened as its owner by domain-wide delegation (gmail.modify to
 * search and move to the Bin, gmail.send for the school's sender mailbox). Paced under Gmail's per-user and
 * per-project quotas. Failures are AppError: `unavailable` (429, 5xx, pacing: try this mailbox again after
 * `retryAfterSeconds`), `forbidden` for one mailbox Google will not open (suspended, no Gmail), or `forbidden` with
 * internal `delegation_refused` when Google refuses DSL Desk's delegation itself (IT must authorise the scopes).
 */
export interface GmailMailboxes {
  /** Gmail's ids of the copies of the message with this Message-ID in `mailbox` (Bin and Spam left out). */
  findCopies(mailbox: string, internetMessageId: string): Promise<string[]>;
  /** Moves one copy to the Bin (Gmail deletes it for good after 30 days; the owner can restore it until then). */
  trash(mailbox: string, gmailMessageId: string): Promise<void>;
  /** Sends a whole RFC 822 message (its From is `from`) as the mailbox `from`. */
  send(from: string, mime: Uint8Array): Promise<void>;
  /**
   * The RFC 822 bytes of the copy in `mailbox` with this Message-ID, wherever it is (Gmail's "Report phishing"
   * moved it to Spam); `not_found` when the mailbox holds none, `too_large` when it is over `maxBytes`.
   */
  readMessage(mailbox: string, internetMessageId: string, maxBytes: number): Promise<{ raw: Uint8Array } | 'not_found' | 'too_large'>;
}

/** "Remove from every mailbox" runs: one per reported email, kept after every batch (migration 0014_mailbox_removals). */
export interface MailboxRemovalRepository {
  get(schoolId: string, emailId: string): Promise<MailboxRemoval | undefined>;
  /** The case's removals, newest first (a case holds one message, so usually one). */
  listForCase(schoolId: string, caseId: string): Promise<MailboxRemoval[]>;
  /** Creates the run, or replaces a finished one for the same email (a new request searches again). */
  save(removal: MailboxRemoval): Promise<void>;
}

export interface AupPolicyRepository {
  /** The newest version for the audience (the one people sign), if any. */
  current(schoolId: string, audience: AupAudience): Promise<AupPolicyVersion | undefined>;
  get(schoolId: string, policyId: string): Promise<AupPolicyVersion | undefined>;
  list(schoolId: string): Promise<AupPolicyVersion[]>;
  /** Adds a version; a second version with the same number for the audience is refused by the store. */
  insert(policy: AupPolicyVersion): Promise<void>;
}

export interface AupAcknowledgementRepository {
  /** Records a signature; a person's second signature of the same version in the same cycle returns the first instead. */
  insert(acknowledgement: AupAcknowledgement): Promise<AupAcknowledgement>;
  get(schoolId: string, acknowledgementId: string): Promise<AupAcknowledgement | undefined>;
  forPerson(schoolId: string, personId: string): Promise<AupAcknowledgement[]>;
  forPolicy(schoolId: string, policyId: string): Promise<AupAcknowledgement[]>;
}

export interface AupSettingsRepository {
  get(schoolId: string): Promise<AupSettings | undefined>;
  save(schoolId: string, settings: AupSettings, at: string): Promise<void>;
}

export interface AupProfileRepository {
  get(schoolId: string, personId: string): Promise<AupProfile | undefined>;
  list(schoolId: string): Promise<AupProfile[]>;
  save(profile: AupProfile): Promise<void>;
}

/** Where reading a school's directory got to: the delta link, so a restart carries on instead of starting over. */
export interface DirectorySyncState {
  schoolId: string;
  provider: 'entra' | 'google';
  deltaLink: string | null;
  /** The first full read is a baseline: the people already there are not new starters. */
  baselineDone: boolean;
  lastRunAt: string | null;
  lastError: string | null;
}

export interface DirectorySyncRepository {
  get(schoolId: string, provider: DirectorySyncState['provider']): Promise<DirectorySyncState | undefined>;
  save(state: DirectorySyncState): Promise<void>;
}

/** Who DSL Desk acts as on a Google Workspace school's domain, and which org units hold its staff (set by an operator). */
export interface GoogleDirectorySettings {
  /** A super admin (or an admin allowed to read users and reports) that domain-wide delegation impersonates. */
  adminEmail: string;
  /** Org unit paths of staff; empty = every unit except those naming pupils or students. */
  staffOrgUnits: string[];
}

/** Where reading a Google school's directory got to, so a restart neither misses nor repeats a new starter. */
export interface GoogleDirectoryProgress {
  /** Set by the first successful read: accounts created before it were there already and are not new starters. */
  baselineAt: string | null;
  reportsCursor: ReportsCursor | null;
  /** The last full users.list reconcile that finished. */
  reconciledAt: string | null;
  lastRunAt: string | null;
  /** Safe to show to the school's IT and the operator: never names an account. */
  lastError: string | null;
  /** Consecutive failed reads (429, 5xx, refused), for backing off. */
  failures: number;
  /** No read before this (Google's Retry-After, or the backoff after failures). */
  notBefore: string | null;
}

export interface GoogleDirectoryState extends GoogleDirectorySettings, GoogleDirectoryProgress {
  schoolId: string;
  updatedAt: string;
}

export interface GoogleDirectoryRepository {
  get(schoolId: string): Promise<GoogleDirectoryState | undefined>;
  /** Sets (or changes) the school's admin and staff org units; progress is kept. */
  saveSettings(schoolId: string, settings: GoogleDirectorySettings, at: string): Promise<void>;
  /** Records progress for a school whose settings exist; the settings are left as they are. */
  saveProgress(schoolId: string, progress: GoogleDirectoryProgress, at: string): Promise<void>;
}

/**
 * Where importing a Google school's "User reported phishing" alerts got to (migration 0016_google_alert_imports):
 * the cursor moves only past alerts whose every message was filed (or could never be), so a restart resumes.
 */
export interface GoogleAlertImportProgress {
  schoolId: string;
  cursor: AlertImportCursor;
  lastPolledAt: string;
  /** Why the last poll filed nothing or stopped (Alert Center refused, mailbox access off): never an address. */
  lastProblem: string | null;
  updatedAt: string;
}

export interface GoogleAlertImportRepository {
  get(schoolId: string): Promise<GoogleAlertImportProgress | undefined>;
  save(progress: GoogleAlertImportProgress): Promise<void>;
}

export interface AupDeliveryRepository {
  /** `lock`: read to change it, in a write transaction (PostgreSQL locks the row until the transaction ends). */
  get(schoolId: string, personId: string, policyId: string, cycle: string, options?: { lock?: boolean }): Promise<AupDelivery | undefined>;
  /** Adds the deliveries not already there (same person, policy and cycle); returns those added. */
  insertMissing(deliveries: AupDelivery[]): Promise<AupDelivery[]>;
  /** Saves a delivery's new state if it is still in `expectedState`; false when someone else moved it on. */
  update(delivery: AupDelivery, expectedState: AupDeliveryState): Promise<boolean>;
  listForPolicy(schoolId: string, policyId: string, cycle: string): Promise<AupDelivery[]>;
  listForCampaign(schoolId: string, campaignId: string): Promise<AupDelivery[]>;
  listForPerson(schoolId: string, personId: string): Promise<AupDelivery[]>;
}

export interface AupCampaignRepository {
  /** Adds a campaign unless one for the same policy, cycle and reason exists; returns the one that stands. */
  insertIfAbsent(campaign: AupCampaign): Promise<{ campaign: AupCampaign; created: boolean }>;
  get(schoolId: string, campaignId: string): Promise<AupCampaign | undefined>;
  list(schoolId: string): Promise<AupCampaign[]>;
  setRecipients(schoolId: string, campaignId: string, recipients: number): Promise<void>;
}

export interface AupSigningLinkRepository {
  insert(link: AupSigningLink, tokenHash: string): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<AupSigningLink | undefined>;
  /** Marks the link used by this signature; false when it had already been used (the second of two racing submits). */
  markUsed(schoolId: string, linkId: string, at: string, acknowledgementId: string): Promise<boolean>;
  list(schoolId: string): Promise<AupSigningLink[]>;
}

/** Children on cases (migration 0018_case_children): links with their history; typed names and reasons sealed. */
export interface CaseChildRepository {
  insert(child: StoredCaseChild): Promise<void>;
  get(schoolId: string, childId: string): Promise<StoredCaseChild | undefined>;
  /** The case's children, in the order they were added; unlinked ones only when asked for. */
  listForCase(schoolId: string, caseId: string, options?: { includeUnlinked?: boolean }): Promise<StoredCaseChild[]>;
  /** The current links of these pupils, across their cases. */
  listForPupils(schoolId: string, pupilIds: readonly string[]): Promise<StoredCaseChild[]>;
  /** Sets the pupil of a link (a typed name matched, or a child added later); false when it is unlinked or gone. */
  linkPupil(schoolId: string, childId: string, link: { pupilId: string; by: string; at: string; reason: string }): Promise<boolean>;
  /** Takes a child off the case, keeping the row; false when it was already unlinked. */
  unlink(schoolId: string, childId: string, unlink: { by: string; at: string; reason: string }): Promise<boolean>;
  /** Moves every link of one pupil record to another (a merge); returns how many moved. */
  movePupil(schoolId: string, fromPupilId: string, intoPupilId: string): Promise<number>;
  /** Records a merge of two records of one child (the reason sealed). */
  recordMerge(merge: PupilMerge): Promise<void>;
  /** Merges into this record, oldest first. */
  listMergesInto(schoolId: string, intoPupilId: string): Promise<PupilMerge[]>;
}

export interface ProtectionStatusRepository {
  insert(status: StoredProtectionStatus): Promise<void>;
  get(schoolId: string, statusId: string): Promise<StoredProtectionStatus | undefined>;
  /** Every status of these pupils, oldest start first. */
  listForPupils(schoolId: string, pupilIds: readonly string[]): Promise<StoredProtectionStatus[]>;
  /** Sets the end date; false when the status is not there. */
  end(schoolId: string, statusId: string, end: { to: string; by: string; at: string }): Promise<boolean>;
  movePupil(schoolId: string, fromPupilId: string, intoPupilId: string): Promise<number>;
}

export interface PupilPatternRepository {
  /**
   * Holds the pupil's pattern for the rest of the transaction (PostgreSQL row lock on the pupil), so two concerns
   * about one child filed at once weigh the rule one after the other and never raise the same pattern twice.
   */
  lockPupil(schoolId: string, pupilId: string): Promise<void>;
  insert(alert: PupilPatternAlert): Promise<void>;
  get(schoolId: string, alertId: string): Promise<PupilPatternAlert | undefined>;
  /** Every alert of the pupil, acknowledged or not, oldest first. */
  listForPupil(schoolId: string, pupilId: string): Promise<PupilPatternAlert[]>;
  /** Alerts of these pupils no DSL has acknowledged yet. */
  listOpen(schoolId: string, pupilIds: readonly string[]): Promise<PupilPatternAlert[]>;
  /** Records where the alert's card went (replacing what was recorded); false when there is no such alert. */
  saveCard(schoolId: string, alertId: string, card: PupilPatternCardRecord): Promise<boolean>;
  /** False when it was acknowledged already. */
  acknowledge(schoolId: string, alertId: string, by: string, at: string): Promise<boolean>;
  movePupil(schoolId: string, fromPupilId: string, intoPupilId: string): Promise<number>;
  /** The school's rule, when it has set one. */
  getRule(schoolId: string): Promise<StoredPatternRule | undefined>;
  setRule(schoolId: string, rule: PatternRule, by: string | null, at: string): Promise<void>;
}

/**
 * The pupil register (migration 0017_pupils). The record (names, date of birth, UPN, year, registration group,
 * leaving date) is sealed per pupil; the UPN is found through a keyed hash, never stored in the clear. Every
 * write changes the school's register version, so every instance's search index knows it is out of date.
 */
export interface PupilRepository {
  get(schoolId: string, pupilId: string): Promise<Pupil | undefined>;
  /** The pupils of these ids that exist in the school (merged ones included), in no particular order. */
  getMany(schoolId: string, ids: readonly string[]): Promise<Pupil[]>;
  /** On-roll pupils not merged into another; with `includeLeavers`, leavers too; with `includeMerged`, merged ones too. */
  list(schoolId: string, options?: { includeLeavers?: boolean; includeMerged?: boolean }): Promise<Pupil[]>;
  findByUpn(schoolId: string, upn: string): Promise<Pupil | undefined>;
  findByDirectoryAccount(schoolId: string, account: string): Promise<Pupil | undefined>;
  /** Adds a pupil; `conflict` when the school already has one of that UPN. */
  insert(pupil: Pupil): Promise<void>;
  /** Replaces a pupil's record and plain columns (the same id and school). */
  update(pupil: Pupil): Promise<void>;
  setMergedInto(schoolId: string, fromId: string, intoId: string, at: string): Promise<void>;
  setDirectoryAccount(schoolId: string, pupilId: string, account: string | null, at: string): Promise<void>;
  /** The school's rule for matching pupils to directory accounts, if it set one. */
  getAccountRule(schoolId: string): Promise<PupilAccountRule | undefined>;
  setAccountRule(schoolId: string, rule: PupilAccountRule | null, at: string): Promise<void>;
  /** Changes the school's register version without changing a pupil (a use case that changed what search shows). */
  touch(schoolId: string): Promise<void>;
  /** The school's search index over on-roll, unmerged pupils: kept in memory while the register version stands. */
  searchIndex(schoolId: string): Promise<PupilSearchIndex>;
}

/** Everything a use case can touch inside one transaction. */
export interface StorageTx {
  schools: SchoolRepository;
  organisations: OrganisationRepository;
  people: PersonRepository;
  cases: CaseRepository;
  caseChildren: CaseChildRepository;
  protectionStatuses: ProtectionStatusRepository;
  pupilPatterns: PupilPatternRepository;
  idempotency: IdempotencyRepository;
  caseSources: CaseSourceRepository;
  audit: AuditLog;
  outbox: Outbox;
  chat: ChatRepository;
  deliveryFallbacks: DeliveryFallbackRepository;
  emails: EmailRepository;
  aupPolicies: AupPolicyRepository;
  aupAcknowledgements: AupAcknowledgementRepository;
  aupSettings: AupSettingsRepository;
  aupProfiles: AupProfileRepository;
  aupDeliveries: AupDeliveryRepository;
  aupCampaigns: AupCampaignRepository;
  aupSigningLinks: AupSigningLinkRepository;
  directorySync: DirectorySyncRepository;
  googleDirectory: GoogleDirectoryRepository;
  mailboxRemovals: MailboxRemovalRepository;
  googleAlertImports: GoogleAlertImportRepository;
  pupils: PupilRepository;
}

export interface OutboxClaimOptions {
  owner: string;
  kinds: string[];
  limit: number;
  leaseMs: number;
  now: Date;
}

/** The dispatcher's side of the outbox; each call is its own transaction. */
export interface OutboxStore {
  claim(options: OutboxClaimOptions): Promise<OutboxMessage[]>;
  complete(id: string, owner: string, at: string): Promise<void>;
  /** Puts a claimed message back until `runAfter` without counting the attempt (a held edit, not a failure). */
  defer(id: string, owner: string, runAfter: string): Promise<void>;
  /** Schedules a retry at `retryAt`, or gives up for good when it is null. */
  fail(id: string, owner: string, error: string, retryAt: string | null): Promise<void>;
  counts(): Promise<Record<'pending' | 'done' | 'failed', number>>;
}

/** One call a pacer let through (or the slot it reserved for one), on one key (a conversation, a tenant). */
export interface PacedCall {
  key: string;
  /** When the call is made, in ms since the epoch. */
  at: number;
  /** After this the call no longer counts in any of the key's windows. */
  keepUntil: number;
}

/**
 * The pacer's memory of recent calls per key, kept in the database so Teams' limits (counted over up to an
 * hour) still hold after a restart. Calls from every instance land here, so a shared pacer can read them later.
 */
export interface PacingLedger {
  /** Times of the calls on `key` at or after `since`, oldest first. */
  recent(key: string, since: number): Promise<number[]>;
  record(calls: readonly PacedCall[]): Promise<void>;
  /** Drops calls that no longer count anywhere; returns how many. */
  forget(before: number): Promise<number>;
}

export interface AuditVerification {
  schools: number;
  events: number;
  firstBreak?: AuditBreak;
  /** Seals checked (only when verification was given the sealing keys). */
  seals?: number;
  /** Schools with events and no seal yet (a new deployment before its first sealing run). */
  unsealedSchools?: string[];
  sealProblem?: AuditSealProblem;
}

export interface Storage {
  readonly engine: 'sqlite' | 'postgres';
  transaction<T>(work: (tx: StorageTx) => Promise<T>): Promise<T>;
  /** Reads without opening a transaction, for hot read-only paths; never write through it. */
  read<T>(work: (reader: StorageTx) => Promise<T>): Promise<T>;
  outbox: OutboxStore;
  pacing: PacingLedger;
  /** Walks every chain; with the sealing keys, also checks every seal against its chain. */
  verifyAudit(options?: { sealKeys?: AuditSealKeys }): Promise<AuditVerification>;
  /** Fails (AppError `unavailable`) when the database does not answer a trivial query within `timeoutMs`. */
  ping(options?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}
