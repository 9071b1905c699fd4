import type { CaseStatus } from '../../domain/case.ts';
import type { CaseHeader } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, OPERATOR, type AppDeps } from '../deps.ts';
import { trustFor } from './trust-access.ts';

const OPEN_STATUSES: CaseStatus[] = ['new', 'acknowledged', 'in_progress', 'escalated'];
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SchoolFigures {
  school: { id: string; slug: string; name: string };
  openCases: number;
  byStatus: Record<'new' | 'acknowledged' | 'in_progress' | 'escalated', number>;
  urgentOpen: number;
  /** Open escalations to an outside agency (cases whose status is escalated). */
  escalatedOpen: number;
  ages: { underSevenDays: number; sevenToThirtyDays: number; overThirtyDays: number; oldestOpenDays: number | null };
  /** The viewer is also a DSL of this school, so they see its cases in the school's own case list. */
  viewerIsSchoolDsl: boolean;
}

/**
 * The trust safeguarding lead's view: for each school of the trust, counts and ages of open cases and the
 * open escalations — from the case headers only (nothing sealed is opened, so no case content, no
 * references, no names). Each school viewed gets a `trust.figures_viewed` event in its own audit chain, in
 * the same transaction as the read.
 */
export async function getTrustFigures(deps: AppDeps, options: { actor: Actor | typeof OPERATOR; trust: string }): Promise<{ trust: { slug: string; name: string }; asOf: string; schools: SchoolFigures[] }> {
  return deps.storage.transaction(async (tx) => {
    const { organisation } = await trustFor(tx, options.actor, options.trust, 'trust_safeguarding_lead');
    const now = nowIso(deps);
    const viewerEmail = options.actor === OPERATOR ? undefined : (await tx.people.get(options.actor.schoolId, options.actor.personId))?.email;
    const schools: SchoolFigures[] = [];
    for (const school of await tx.schools.listByOrganisation(organisation.id)) {
      const open = await allOpen(tx.cases, school.id);
      const ages = open.map((c) => Math.floor((Date.parse(now) - Date.parse(c.createdAt)) / DAY_MS));
      const viewer = viewerEmail ? await tx.people.findByEmail(school.id, viewerEmail) : undefined;
      schools.push({
        school: { id: school.id, slug: school.slug, name: school.name },
        openCases: open.length,
        byStatus: { new: count(open, 'new'), acknowledged: count(open, 'acknowledged'), in_progress: count(open, 'in_progress'), escalated: count(open, 'escalated') },
        urgentOpen: open.filter((c) => c.urgency === 'urgent').length,
        escalatedOpen: count(open, 'escalated'),
        ages: {
          underSevenDays: ages.filter((d) => d < 7).length,
          sevenToThirtyDays: ages.filter((d) => d >= 7 && d <= 30).length,
          overThirtyDays: ages.filter((d) => d > 30).length,
          oldestOpenDays: ages.length ? Math.max(...ages) : null,
        },
        viewerIsSchoolDsl: Boolean(viewer?.active && viewer.roles.includes('dsl')),
      });
      await tx.audit.append(
        { schoolId: school.id, actorId: options.actor === OPERATOR ? null : options.actor.personId, action: 'trust.figures_viewed', detail: { organisationId: organisation.id, viewerSchoolId: options.actor === OPERATOR ? null : options.actor.schoolId } },
        now,
      );
    }
    return { trust: { slug: organisation.slug, name: organisation.name }, asOf: now, schools };
  });
}

async function allOpen(cases: { find: (schoolId: string, filter: { statuses: CaseStatus[]; limit: number; before?: { createdAt: string; id: string } }) => Promise<CaseHeader[]> }, schoolId: string): Promise<CaseHeader[]> {
  const all: CaseHeader[] = [];
  let before: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await cases.find(schoolId, { statuses: OPEN_STATUSES, limit: 500, ...(before ? { before } : {}) });
    all.push(...page);
    if (page.length < 500) return all;
    const last = page[page.length - 1]!;
    before = { createdAt: last.createdAt, id: last.id };
  }
}

function count(cases: CaseHeader[], status: CaseStatus): number {
  return cases.filter((c) => c.status === status).length;
}
