import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { useChannelForCases } from '../../src/app/cases/use-channel-for-cases.ts';
import { OPERATOR, type AppDeps } from '../../src/app/deps.ts';
import { addSchool } from '../../src/app/organisations/add-school.ts';
import { upsertPerson } from '../../src/app/people/add-person.ts';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import type { Config } from '../../src/config.ts';
import { openStorage } from '../../src/storage/open-storage.ts';
import { randomIds, systemClock } from '../../src/system.ts';
import type { GoogleChatChildOptions } from '../serve-google-chat.ts';
import { startServiceChild, type ServiceChild } from './service-child.ts';
import type { BenchContext } from './types.ts';

/**
 * What the Google Workspace benchmarks share: a school of staff known by their Google accounts with its DSL
 * space, seeded through the use cases, and DSL Desk in production mode in its own process, as deployed.
 */

/** A member of staff as Google knows them: the account id (21 digits), the address, the name. */
export interface GoogleStaff {
  subject: string;
  email: string;
  displayName: string;
}

/** A Google account id for a numbered benchmark person: 21 digits, distinct per `base`. */
export function googleSubject(i: number, base = 110_000_000_000_000_000_000n): string {
  return String(base + BigInt(i));
}

/**
 * One Google school with its staff and its DSL, the DSL's space set up for case cards, written straight into the
 * database the service will open. Returns the school's id.
 */
export async function seedGoogleSchoolWithSpace(
  config: Config,
  school: { name: string; domain: string; dsl: GoogleStaff; staff: GoogleStaff[]; dslSpace: string },
): Promise<string> {
  const storage = await openStorage({ databaseUrl: config.databaseUrl, keyRing: config.keyRing });
  try {
    const deps: AppDeps = { storage, clock: systemClock, ids: randomIds, settings: { urgentAcknowledgeMinutes: config.urgentAcknowledgeMinutes, emailForwarding: config.emailForwarding } };
    const added = await addSchool(deps, { name: school.name, slug: `bench-${randomUUID().slice(0, 8)}`, googleDomain: school.domain });
    await storage.transaction(async (tx) => {
      for (const person of [school.dsl, ...school.staff]) {
        await upsertPerson(deps, tx, {
          actor: OPERATOR,
          schoolId: added.id,
          person: { displayName: person.displayName, email: person.email, roles: person === school.dsl ? ['staff', 'dsl'] : ['staff'], googleSubject: person.subject },
        });
      }
    });
    const dsl = await resolveActor(deps, { provider: 'google', tenantId: school.domain, subject: school.dsl.subject, email: school.dsl.email, emailVerified: true });
    await useChannelForCases(deps, { actor: dsl, address: { platform: 'google_chat', conversationId: school.dslSpace, channelId: school.dslSpace, serviceUrl: '' } });
    return added.id;
  } finally {
    await storage.close();
  }
}

/**
 * DSL Desk in production mode in its own process (bench/serve-google-chat.ts), so the fakes and the clients do
 * not share its event loop, with every connection leaving the machine refused. Its warnings are counted, not
 * printed: outbox retries by reason, anything else by message. Stopped when the benchmark ends.
 */
export async function startGoogleServiceChild(
  ctx: BenchContext,
  name: string,
  options: GoogleChatChildOptions,
): Promise<{ service: ServiceChild; warnings: Record<string, number> }> {
  const warnings: Record<string, number> = {};
  const service = await startServiceChild({
    script: new URL('../serve-google-chat.ts', import.meta.url),
    options,
    label: name,
    preload: [fileURLToPath(new URL('../../test/support/block-outbound-network.cjs', import.meta.url))],
    onLine: (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; reason?: string; code?: string };
        const key = entry.msg === 'outbox message failed' ? `retry: ${(entry.reason ?? 'unknown').slice(0, 80)}` : `${entry.msg ?? 'log'}${entry.code ? ` (${entry.code})` : ''}`;
        warnings[key] = (warnings[key] ?? 0) + 1;
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
      }
    },
  });
  ctx.defer(() => service.stop(5_000));
  return { service, warnings };
}
