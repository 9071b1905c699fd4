import type { Kysely, Transaction } from 'kysely';

/**
 * Table shapes shared by both engines. Timestamps are ISO-8601 UTC strings and flags are 0/1 integers
 * in both, so the one query layer behaves the same on SQLite and PostgreSQL.
 */
export interface SchoolsTable {
  id: string;
  name: string;
  slug: string;
  /** Retired by 0009 (unique per school): always empty now; see ms_tenant_id and workspace_domain. */
  entra_tenant_id: string | null;
  google_domain: string | null;
  organisation_id: string | null;
  ms_tenant_id: string | null;
  workspace_domain: string | null;
  time_zone: string;
  /** Whose bank holidays close the school (england, wales, scotland, northern-ireland, none). */
  region: string;
  created_at: string;
}

export interface OrganisationsTable {
  id: string;
  name: string;
  slug: string;
  kind: string;
  created_at: string;
}

export interface OrganisationDirectoriesTable {
  provider: string;
  directory_key: string;
  organisation_id: string;
}

export interface MembershipRulesTable {
  id: string;
  organisation_id: string;
  position: number;
  fact: string;
  value: string;
  school_id: string;
  created_at: string;
}

export interface MembershipOverridesTable {
  organisation_id: string;
  email: string;
  school_id: string;
  created_at: string;
}

export interface OrganisationRolesTable {
  organisation_id: string;
  email: string;
  role: string;
  granted_at: string;
}

export interface PeopleTable {
  id: string;
  school_id: string;
  display_name: string;
  email: string;
  entra_object_id: string | null;
  google_subject: string | null;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface PersonRolesTable {
  school_id: string;
  person_id: string;
  role: string;
  granted_at: string;
}

export interface CasesTable {
  id: string;
  school_id: string;
  reference: string;
  status: string;
  urgency: string;
  types: string;
  restricted: number;
  subject_person_id: string | null;
  /** 1 when the subject held the headteacher role when reported (0011). */
  about_head: number;
  assignee_id: string | null;
  reporter_count: number;
  /** Everything sensitive about the case, as one encrypted JSON document. */
  details: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  version: number;
}

export interface CaseReportersTable {
  school_id: string;
  case_id: string;
  person_id: string;
  reported_at: string;
  channel: string;
}

export interface CaseCountersTable {
  school_id: string;
  year: number;
  last: number;
}

export interface IdempotencyKeysTable {
  school_id: string;
  person_id: string;
  key: string;
  case_id: string;
  created_at: string;
}

export interface CaseSourcesTable {
  school_id: string;
  fingerprint: string;
  case_id: string;
  created_at: string;
}

export interface AuditEventsTable {
  id: string;
  school_id: string;
  seq: number;
  at: string;
  actor_id: string | null;
  action: string;
  case_id: string | null;
  policy_id: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  school_id: string;
  seq: number;
  hash: string;
}

/** HMAC seals of each school's chain head, made with a key that is not in the database. */
export interface AuditSealsTable {
  school_id: string;
  seal_seq: number;
  head_seq: number;
  head_hash: string;
  key_id: string;
  sealed_at: string;
  mac: string;
}

export interface OutboxTable {
  id: string;
  school_id: string;
  kind: string;
  payload: string;
  dedupe_key: string | null;
  status: string;
  attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  done_at: string | null;
}

export interface ChatCaseChannelsTable {
  school_id: string;
  platform: string;
  /** The conversation address as JSON; an address, never content. */
  address: string;
  set_by_id: string;
  set_at: string;
}

export interface ChatUsersTable {
  school_id: string;
  person_id: string;
  platform: string;
  user_id: string;
  personal_conversation: string | null;
  updated_at: string;
}

export interface ChatCaseCardsTable {
  school_id: string;
  case_id: string;
  target: string;
  platform: string;
  conversation_id: string;
  activity_id: string | null;
  state: string;
  rendered_version: number;
  failure: string | null;
  updated_at: string;
  /** When a person last acted on the card (a button or form of their own view); null when nobody has. */
  worked_at: string | null;
}

export interface EmailMessagesTable {
  id: string;
  school_id: string;
  case_id: string;
  reporter_id: string;
  sha256: string;
  size: number;
  /** The analysis summary, sealed like case details. */
  analysis: string;
  /** The sealed .eml, or null when it was not kept or has expired. */
  content: Uint8Array | null;
  attachments_withheld: number;
  /** The verdict a DSL or IT decided, sealed (its reason is theirs); null until then. */
  decision: string | null;
  created_at: string;
}

/** A legal hold on a case's reported emails (retention drops nothing while it stands). */
export interface CaseLegalHoldsTable {
  school_id: string;
  case_id: string;
  /** Sealed: why the hold was placed. */
  reason: string;
  by_id: string;
  at: string;
}

export interface AupPoliciesTable {
  id: string;
  school_id: string;
  audience: string;
  version: number;
  title: string;
  /** Policies are published documents, not special-category data: stored as written (canonical form). */
  markdown: string;
  acknowledgement_wording: string;
  effective_date: string;
  review_date: string;
  sha256: string;
  published_at: string;
  published_by_id: string | null;
}

export interface AupSignaturesTable {
  id: string;
  school_id: string;
  person_id: string | null;
  policy_id: string;
  cycle: string;
  /** The whole signature record as JSON (names, identity, IP): sealed like case details. */
  record: string;
  signed_at: string;
}

export interface AupSettingsTable {
  school_id: string;
  /** The school's AUP settings as JSON (rules, reminder days, school day): configuration, not personal data. */
  settings: string;
  updated_at: string;
}

export interface AupProfilesTable {
  school_id: string;
  person_id: string;
  /** Directory facts as JSON (department, job title, groups, UPN): staff records, not special-category data. */
  directory: string;
  audience_override: string | null;
  start_date: string | null;
  line_manager_id: string | null;
  source: string;
  updated_at: string;
}

export interface DirectorySyncTable {
  school_id: string;
  provider: string;
  delta_link: string | null;
  baseline_done: number;
  last_run_at: string | null;
  last_error: string | null;
}

export interface GoogleDirectoriesTable {
  school_id: string;
  admin_email: string;
  /** JSON array of org unit paths. */
  staff_org_units: string;
  baseline_at: string | null;
  reports_cursor_time: string | null;
  /** JSON array of { key, time }. */
  reports_seen: string | null;
  reconciled_at: string | null;
  last_run_at: string | null;
  last_error: string | null;
  failures: number;
  not_before: string | null;
  updated_at: string;
}

export interface GoogleAlertImportsTable {
  school_id: string;
  cursor_time: string;
  /** JSON array of { key, time }: the alert ids handled in the overlap window. */
  cursor_seen: string;
  last_polled_at: string;
  last_problem: string | null;
  updated_at: string;
}

/** A child on a case (0018_case_children): a pupil, or a typed name (sealed) for a DSL to link; history kept. */
export interface CaseChildrenTable {
  id: string;
  school_id: string;
  case_id: string;
  pupil_id: string | null;
  typed_name: string | null;
  role: string;
  added_by: string | null;
  added_at: string;
  linked_by: string | null;
  linked_at: string | null;
  link_reason: string | null;
  unlinked_at: string | null;
  unlinked_by: string | null;
  unlink_reason: string | null;
  merged_from_pupil_id: string | null;
}

export interface ProtectionStatusesTable {
  id: string;
  school_id: string;
  pupil_id: string;
  kind: string;
  /** Sealed; only for "other". */
  detail: string | null;
  from_date: string;
  to_date: string | null;
  recorded_by: string;
  recorded_at: string;
  ended_by: string | null;
  ended_at: string | null;
}

export interface PupilPatternAlertsTable {
  id: string;
  school_id: string;
  pupil_id: string;
  reason: string;
  /** JSON array of case ids, oldest first. */
  case_ids: string;
  created_at: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  card_platform: string | null;
  card_conversation_id: string | null;
  card_activity_id: string | null;
  card_state: string | null;
  card_failure: string | null;
  card_updated_at: string | null;
}

export interface PupilMergesTable {
  id: string;
  school_id: string;
  from_pupil_id: string;
  into_pupil_id: string;
  /** Sealed. */
  reason: string;
  merged_by: string;
  merged_at: string;
}

/** A school's "small worries add up" rule; a school without a row has DEFAULT_PATTERN_RULE. */
export interface PupilPatternRulesTable {
  school_id: string;
  count: number;
  days: number;
  /** JSON array of incident type codes. */
  always_types: string;
  updated_by: string | null;
  updated_at: string;
}

export interface MailboxRemovalsTable {
  school_id: string;
  email_id: string;
  case_id: string;
  /** gmail | graph */
  provider: string;
  /** running | finished | refused */
  state: string;
  /** The Directory users page being read (null: the first page) and the next user on it. */
  cursor_page_token: string | null;
  cursor_index: number;
  mailboxes_total: number | null;
  mailboxes_searched: number;
  mailboxes_failed: number;
  found: number;
  moved: number;
  failed: number;
  requested_by: string;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface AupCampaignsTable {
  id: string;
  school_id: string;
  policy_id: string;
  cycle: string;
  reason: string;
  recipients: number;
  created_at: string;
  created_by_id: string | null;
}

export interface AupDeliveriesTable {
  school_id: string;
  person_id: string;
  policy_id: string;
  cycle: string;
  campaign_id: string | null;
  reason: string;
  state: string;
  channel: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  conversation_id: string | null;
  activity_id: string | null;
  sent_at: string | null;
  signed_at: string | null;
  reminders_sent: number;
  escalated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AupSigningLinksTable {
  id: string;
  school_id: string;
  /** SHA-256 of the link's random token: the token itself is never stored. */
  token_hash: string;
  audience: string;
  intended_for: string;
  email: string | null;
  person_id: string | null;
  created_by_id: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  acknowledgement_id: string | null;
}

export interface PacingCallsTable {
  key: string;
  at: string;
  keep_until: string;
}

export interface PupilsTable {
  id: string;
  school_id: string;
  /** `<key id>.<HMAC>` of the UPN (FieldCipher.lookupHashes): finds a pupil by UPN without keeping it in the clear. */
  upn_hash: string;
  /** The PupilRecord, sealed with AES-GCM bound to the school and pupil. */
  record: string;
  /** 1 while on roll; 0 once the MIS gave a leaving date. */
  on_roll: number;
  merged_into: string | null;
  /** The pupil's Microsoft 365 or Google account id, when the school's rule matched one. */
  directory_account: string | null;
  created_at: string;
  updated_at: string;
}

/** One row per school with pupils: changes on every write, so search indexes held in memory know they are stale. */
export interface PupilRegistersTable {
  school_id: string;
  version: string;
  /** PupilAccountRule as JSON, or null. */
  account_rule: string | null;
  updated_at: string;
}

export interface DeliveryFallbacksTable {
  school_id: string;
  /** One fallback per outbox message whose delivery was overdue. */
  dedupe_key: string;
  case_id: string;
  /** What Teams did not deliver: 'channel' or 'person:<id>'. */
  target: string;
  /** 'sent', or 'unavailable' with the reason. */
  state: string;
  recipients: number;
  reason: string | null;
  at: string;
}

export interface Database {
  schools: SchoolsTable;
  organisations: OrganisationsTable;
  organisation_directories: OrganisationDirectoriesTable;
  membership_rules: MembershipRulesTable;
  membership_overrides: MembershipOverridesTable;
  organisation_roles: OrganisationRolesTable;
  people: PeopleTable;
  person_roles: PersonRolesTable;
  cases: CasesTable;
  case_reporters: CaseReportersTable;
  case_counters: CaseCountersTable;
  idempotency_keys: IdempotencyKeysTable;
  case_sources: CaseSourcesTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  audit_seals: AuditSealsTable;
  outbox: OutboxTable;
  chat_case_channels: ChatCaseChannelsTable;
  chat_users: ChatUsersTable;
  chat_case_cards: ChatCaseCardsTable;
  email_messages: EmailMessagesTable;
  case_legal_holds: CaseLegalHoldsTable;
  aup_policies: AupPoliciesTable;
  aup_signatures: AupSignaturesTable;
  aup_settings: AupSettingsTable;
  aup_profiles: AupProfilesTable;
  directory_sync: DirectorySyncTable;
  google_directories: GoogleDirectoriesTable;
  case_children: CaseChildrenTable;
  protection_statuses: ProtectionStatusesTable;
  pupil_pattern_alerts: PupilPatternAlertsTable;
  pupil_pattern_rules: PupilPatternRulesTable;
  pupil_merges: PupilMergesTable;
  mailbox_removals: MailboxRemovalsTable;
  google_alert_imports: GoogleAlertImportsTable;
  aup_campaigns: AupCampaignsTable;
  aup_deliveries: AupDeliveriesTable;
  aup_signing_links: AupSigningLinksTable;
  pacing_calls: PacingCallsTable;
  delivery_fallbacks: DeliveryFallbacksTable;
  pupils: PupilsTable;
  pupil_registers: PupilRegistersTable;
}

/** The database or a transaction on it: repositories work the same on either. */
export type Db = Kysely<Database> | Transaction<Database>;
