import { AUP_AUDIENCE_LABELS, type AupAcknowledgement, type AupAudience, type AupPolicyVersion, type SigningSurface } from '../../domain/aup.ts';
import { groupDeliveryFailures, type AupCampaign, type AupCampaignProgress, type AupDelivery } from '../../domain/aup-delivery.ts';
import { AppError } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { audienceOfProfile, aupSettingsFor, cycleAt, requireAupManager } from './aup-context.ts';
import { actorIdOf, type AppDeps, type Operator } from '../deps.ts';

/** How a signature was given, in the office's words. */
export const SIGNED_VIA_LABELS: Record<SigningSurface, string> = {
  teams: 'Teams',
  google_chat: 'Google Chat',
  web: 'policy page',
  web_link: 'one-time link',
};

/**
 * One person's standing against the current policy for their audience; or someone without an account
 * (a visitor, supply staff) who signed it through a one-time link, known by the name and email they typed.
 */
export interface AupStatusRow {
  /** Null for someone who signed through a one-time link without being one of the school's people. */
  personId: string | null;
  displayName: string;
  email: string;
  audience: AupAudience;
  audienceLabel: string;
  policyId: string | null;
  policyTitle: string | null;
  policyVersion: number | null;
  /** signed: this version, this cycle. unsigned: asked (or not yet) and not signed. no_policy: nothing published for the audience. */
  status: 'signed' | 'unsigned' | 'no_policy';
  signedAt: string | null;
  acknowledgementId: string | null;
  /** Where they signed (null when not signed): teams, google_chat, web (the policy page) or web_link (a one-time link). */
  signedVia: SigningSurface | null;
  /** The one-time link's "for" as the office typed it, for those who signed through one. */
  linkFor: string | null;
  /** The version they last signed, when it is not the current one. */
  lastSignedVersion: number | null;
  delivery: Pick<AupDelivery, 'state' | 'channel' | 'failureCode' | 'failureReason' | 'sentAt' | 'remindersSent' | 'escalatedAt'> | null;
  startDate: string | null;
}

export interface AupStatus {
  cycle: string;
  rows: AupStatusRow[];
  /** people: rows that are the school's people; throughLink: rows of people without an account who signed through a link. */
  totals: { people: number; signed: number; unsigned: number; noPolicy: number; throughLink: number };
}

function requireManager(actor: Actor | Operator, schoolId: string): void {
  requireAupManager(actor, schoolId, 'see who has signed');
}

function currentByAudience(policies: AupPolicyVersion[]): Map<AupAudience, AupPolicyVersion> {
  const current = new Map<AupAudience, AupPolicyVersion>();
  for (const policy of policies) if ((current.get(policy.audience)?.version ?? 0) < policy.version) current.set(policy.audience, policy);
  return current;
}

/** Who has and has not signed the current policy for their audience this cycle (everyone active in the school). */
export async function getAupStatus(
  deps: AppDeps,
  options: { actor: Actor | Operator; schoolId: string; audience?: AupAudience; onlyUnsigned?: boolean; /** Where the list went: api, cli or csv. */ via?: string },
): Promise<AupStatus> {
  requireManager(options.actor, options.schoolId);
  // A transaction, not a plain read: the list of who signed is personal data, so taking it is an access event.
  return deps.storage.transaction(async (reader) => {
    const school = await reader.schools.get(options.schoolId);
    if (!school) throw new AppError('not_found', 'That school was not found.');
    const settings = await aupSettingsFor(reader, options.schoolId);
    const cycle = cycleAt(deps.clock.now(), school, settings);
    const current = currentByAudience(await reader.aupPolicies.list(options.schoolId));
    const profiles = new Map((await reader.aupProfiles.list(options.schoolId)).map((p) => [p.personId, p]));
    const signatures = new Map<string, { id: string; signedAt: string; cycle: string; version: number; policyId: string; surface: SigningSurface }[]>();
    const deliveries = new Map<string, AupDelivery>();
    // Signatures through a one-time link by someone who is not one of the school's people: this version, this cycle.
    const withoutAccount: AupAcknowledgement[] = [];
    for (const policy of current.values()) {
      for (const ack of await reader.aupAcknowledgements.forPolicy(options.schoolId, policy.id)) {
        if (!ack.personId) {
          if (ack.cycle === cycle && (!options.audience || ack.audience === options.audience)) withoutAccount.push(ack);
          continue;
        }
        const list = signatures.get(ack.personId) ?? [];
        list.push({ id: ack.id, signedAt: ack.signedAt, cycle: ack.cycle, version: ack.policyVersion, policyId: ack.policyId, surface: ack.surface });
        signatures.set(ack.personId, list);
      }
      for (const delivery of await reader.aupDeliveries.listForPolicy(options.schoolId, policy.id, cycle)) deliveries.set(delivery.personId, delivery);
    }
    const rows: AupStatusRow[] = [];
    for (const person of await reader.people.list(options.schoolId)) {
      if (!person.active) continue;
      const profile = profiles.get(person.id);
      const audience = audienceOfProfile(profile, settings);
      if (options.audience && audience !== options.audience) continue;
      const policy = current.get(audience);
      const mine = signatures.get(person.id) ?? [];
      const signed = policy ? mine.find((s) => s.policyId === policy.id && s.cycle === cycle) : undefined;
      const delivery = deliveries.get(person.id);
      const lastSigned = policy && !signed ? await lastSignedVersion(reader, options.schoolId, person.id, audience) : null;
      const row: AupStatusRow = {
        personId: person.id,
        displayName: person.displayName,
        email: person.email,
        audience,
        audienceLabel: AUP_AUDIENCE_LABELS[audience],
        policyId: policy?.id ?? null,
        policyTitle: policy?.title ?? null,
        policyVersion: policy?.version ?? null,
        status: !policy ? 'no_policy' : signed ? 'signed' : 'unsigned',
        signedAt: signed?.signedAt ?? null,
        acknowledgementId: signed?.id ?? null,
        signedVia: signed?.surface ?? null,
        linkFor: null,
        lastSignedVersion: lastSigned,
        delivery: delivery
          ? { state: delivery.state, channel: delivery.channel, failureCode: delivery.failureCode, failureReason: delivery.failureReason, sentAt: delivery.sentAt, remindersSent: delivery.remindersSent, escalatedAt: delivery.escalatedAt }
          : null,
        startDate: profile?.startDate ?? null,
      };
      if (options.onlyUnsigned && row.status === 'signed') continue;
      rows.push(row);
    }
    const links = withoutAccount.length ? new Map((await reader.aupSigningLinks.list(options.schoolId)).map((link) => [link.id, link])) : new Map();
    for (const ack of options.onlyUnsigned ? [] : withoutAccount) {
      const policy = current.get(ack.audience)!;
      rows.push({
        personId: null,
        displayName: ack.typedName,
        email: ack.typedEmail ?? '',
        audience: ack.audience,
        audienceLabel: AUP_AUDIENCE_LABELS[ack.audience],
        policyId: policy.id,
        policyTitle: policy.title,
        policyVersion: policy.version,
        status: 'signed',
        signedAt: ack.signedAt,
        acknowledgementId: ack.id,
        signedVia: ack.surface,
        linkFor: (ack.signingLinkId ? links.get(ack.signingLinkId)?.intendedFor : undefined) ?? null,
        lastSignedVersion: null,
        delivery: null,
        startDate: null,
      });
    }
    rows.sort((a, b) => a.status.localeCompare(b.status, 'en') * -1 || a.displayName.localeCompare(b.displayName, 'en'));
    await reader.audit.append(
      {
        schoolId: options.schoolId,
        actorId: actorIdOf(options.actor),
        action: 'aup.status_exported',
        detail: { rows: rows.length, audience: options.audience ?? null, onlyUnsigned: Boolean(options.onlyUnsigned), via: options.via ?? 'api' },
      },
      deps.clock.now().toISOString(),
    );
    return {
      cycle,
      rows,
      totals: {
        people: rows.filter((r) => r.personId).length,
        signed: rows.filter((r) => r.status === 'signed').length,
        unsigned: rows.filter((r) => r.status === 'unsigned').length,
        noPolicy: rows.filter((r) => r.status === 'no_policy').length,
        throughLink: rows.filter((r) => !r.personId).length,
      },
    };
  });
}

async function lastSignedVersion(reader: StorageTx, schoolId: string, personId: string, audience: AupAudience): Promise<number | null> {
  const mine = (await reader.aupAcknowledgements.forPerson(schoolId, personId)).filter((ack) => ack.audience === audience);
  return mine.length ? Math.max(...mine.map((ack) => ack.policyVersion)) : null;
}

/** The columns of the CSV export, in order: what an auditor asks for. */
export const AUP_STATUS_CSV_COLUMNS = ['name', 'email', 'audience', 'policy', 'version', 'status', 'signed_at_utc', 'signed_via', 'link_for', 'last_signed_version', 'sent_by', 'sent_at_utc', 'reminders', 'not_delivered_because', 'start_date'] as const;

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function aupStatusCsv(status: AupStatus): string {
  const cell = (value: string | number | null | undefined): string => {
    let text = value === null || value === undefined ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [AUP_STATUS_CSV_COLUMNS.join(',')];
  for (const row of status.rows) {
    lines.push(
      [
        row.displayName,
        row.email,
        row.audienceLabel,
        row.policyTitle,
        row.policyVersion,
        row.status,
        row.signedAt,
        row.signedVia ? SIGNED_VIA_LABELS[row.signedVia] : '',
        row.linkFor,
        row.lastSignedVersion,
        row.delivery?.channel,
        row.delivery?.sentAt,
        row.delivery?.remindersSent,
        row.delivery?.failureReason,
        row.startDate,
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Progress of the school's campaigns, newest first: sent, signed and failed (with reasons). */
export async function getCampaignProgress(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; campaignId?: string; limit?: number }): Promise<AupCampaignProgress[]> {
  requireManager(options.actor, options.schoolId);
  return deps.storage.read(async (reader) => {
    let campaigns: AupCampaign[] = await reader.aupCampaigns.list(options.schoolId);
    if (options.campaignId) {
      campaigns = campaigns.filter((c) => c.id === options.campaignId);
      if (!campaigns.length) throw new AppError('not_found', 'That campaign was not found.');
    }
    const result: AupCampaignProgress[] = [];
    for (const campaign of campaigns.slice(0, options.limit ?? 10)) {
      const policy = await reader.aupPolicies.get(options.schoolId, campaign.policyId);
      const deliveries = await reader.aupDeliveries.listForCampaign(options.schoolId, campaign.id);
      const failures = groupDeliveryFailures(deliveries);
      result.push({
        campaign,
        policyTitle: policy?.title ?? '',
        policyVersion: policy?.version ?? 0,
        audience: policy?.audience ?? 'staff',
        queued: deliveries.filter((d) => d.state === 'queued' || d.state === 'sending').length,
        sent: deliveries.filter((d) => d.state === 'sent' || d.state === 'signed').length,
        signed: deliveries.filter((d) => d.state === 'signed').length,
        failed: deliveries.filter((d) => d.state === 'failed').length,
        failures,
      });
    }
    return result;
  });
}
