import { readFile, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { AnalysisContext } from '../analysis/index.ts';
import type { AppDeps } from '../app/deps.ts';
import type { AupDeliveryGroup } from '../app/aup/list-aup-deliveries.ts';
import { AUP_AUDIENCES, type AupAudience } from '../domain/aup-audiences.ts';
import { isAppError } from '../domain/errors.ts';
import type { DirectoryFacts } from '../domain/organisation.ts';
import type { School } from '../domain/ports.ts';
import { isRole, ROLES, type Role } from '../domain/roles.ts';
import type { KyselyStorage } from '../storage/kysely-storage.ts';
import { fieldErrorLines } from './flag-names.ts';

/**
 * `npx dsl-desk …`: the operators' commands. They use the same configuration (DATABASE_URL, DATA_KEYS,
 * DATA_DIR) as the service and the same use cases as the API, acting as the operator.
 *
 * Each command imports what it needs when it runs: `--help` loads commander alone, `analyse` the
 * analysis alone, and only commands that touch the database load storage (see docs/performance.md).
 */
async function cliConfig() {
  const { ConfigError, loadConfig } = await import('../config.ts');
  try {
    return loadConfig(process.env);
  } catch (error) {
    throw error instanceof ConfigError ? new CliError(error.message) : error;
  }
}

async function withDeps<T>(work: (deps: AppDeps, storage: KyselyStorage) => Promise<T>): Promise<T> {
  const config = await cliConfig();
  const [{ openStorage }, { randomIds, systemClock }] = await Promise.all([import('../storage/open-storage.ts'), import('../system.ts')]);
  const storage = await openStorage({ databaseUrl: config.databaseUrl, keyRing: config.keyRing, postgresTimeouts: config.database });
  try {
    return await work({ storage, clock: systemClock, ids: randomIds }, storage);
  } finally {
    await storage.close();
  }
}

async function schoolBySlug(deps: AppDeps, slug: string): Promise<School> {
  const school = await deps.storage.transaction((tx) => tx.schools.getBySlug(slug));
  if (!school) throw new CliError(`No school has the slug "${slug}". List them with: npx dsl-desk school list`);
  return school;
}

class CliError extends Error {}

function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`Choose one of: ${ROLES.join(', ')}.`);
  return value;
}

const program = new Command();
program.name('dsl-desk').description('DSL Desk operator commands').showHelpAfterError();

/** The words of the command being run (`aup new-starter`): its errors name the flags it was given. */
let runningCommand = '';
program.hook('preAction', (_program, actionCommand) => {
  runningCommand = commandPath(actionCommand);
});

/** A command's words after `dsl-desk`, e.g. `aup campaign status`. */
export function commandPath(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

program
  .command('serve')
  .description('start the service (what npm start runs); settings as in the README')
  .action(async () => {
    // The service's own entry point: it validates its configuration, listens, and stops on SIGTERM/SIGINT.
    await import('../main.ts');
  });

program
  .command('migrate')
  .description('bring the database schema up to date (the service also does this at start)')
  .action(async () => {
    const applied = await withDeps((_deps, storage) => storage.migrate());
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  });

const audit = program.command('audit').description('the tamper-evident audit log');
audit
  .command('verify')
  .description('check every school’s audit hash chain and its seals; exits 1 naming the first broken row or seal')
  .option('--json', 'print the result as JSON')
  .action(async (options: { json?: boolean }) => {
    const [{ verifyAuditChain, auditVerificationFailed }, { describeSealProblem }] = await Promise.all([import('../app/audit/verify-audit-chain.ts'), import('../domain/audit-seal.ts')]);
    const config = await cliConfig();
    const result = await withDeps((deps) => verifyAuditChain(deps, config.auditSeal.keys));
    if (options.json) console.log(JSON.stringify(result));
    if (result.firstBreak && !options.json) {
      const b = result.firstBreak;
      const what = { hash_mismatch: 'was altered', prev_hash_mismatch: 'does not follow the row before it', sequence_gap: 'is missing', head_mismatch: 'is missing (rows were removed from the end)' }[b.reason];
      console.error(`Audit chain BROKEN: school ${b.schoolId}, event #${b.seq}${b.eventId ? ` (id ${b.eventId})` : ''} ${what}.`);
    }
    if (result.sealProblem && !options.json) console.error(`Audit seals BROKEN: school ${result.sealProblem.schoolId}, ${describeSealProblem(result.sealProblem)}.`);
    if (auditVerificationFailed(result)) {
      process.exitCode = 1;
    } else if (!options.json) {
      console.log(`Audit chain intact: ${result.events} events across ${result.schools} school(s), ${result.seals ?? 0} seal(s) valid.`);
      if (result.unsealedSchools?.length) console.log(`Not sealed yet (the service seals every AUDIT_SEAL_MINUTES and when it stops): ${result.unsealedSchools.join(', ')}.`);
    }
  });

audit
  .command('seal')
  .description('seal every school’s audit chain head now (the service also does this every AUDIT_SEAL_MINUTES)')
  .action(async () => {
    const { sealAuditChains } = await import('../app/audit/seal-audit-chains.ts');
    const config = await cliConfig();
    const sealed = await withDeps((deps) => sealAuditChains(deps, config.auditSeal.keys));
    console.log(sealed ? `Sealed ${sealed} school chain(s) with key ${config.auditSeal.keys.currentKeyId}.` : 'Every chain was already sealed at its head.');
  });

audit
  .command('access')
  .description('who opened what: case views, case lists, card refreshes, downloads and exports, oldest first')
  .requiredOption('--school <slug>', 'the school')
  .option('--case <reference>', 'only accesses to this case (CASE-2026-0042)')
  .option('--person <email>', 'only what this person opened')
  .option('--since <date>', 'from this date (YYYY-MM-DD, in the school’s time zone) or instant')
  .option('--until <date>', 'to the end of this date (YYYY-MM-DD) or instant')
  .option('--json', 'print the entries as JSON')
  .action(async (options: { school: string; case?: string; person?: string; since?: string; until?: string; json?: boolean }) => {
    const [{ OPERATOR }, { listAccessEvents }] = await Promise.all([import('../app/deps.ts'), import('../app/cases/list-access-events.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const list = await listAccessEvents(deps, {
        actor: OPERATOR,
        schoolId: target.id,
        filter: {
          ...(options.case ? { caseReference: options.case } : {}),
          ...(options.person ? { personEmail: options.person } : {}),
          ...(options.since ? { since: options.since } : {}),
          ...(options.until ? { until: options.until } : {}),
        },
      });
      if (options.json) {
        console.log(JSON.stringify(list));
        return;
      }
      if (list.entries.length === 0) {
        console.log('No accesses match.');
        return;
      }
      console.table(
        list.entries.map((entry) => ({
          at_utc: entry.at,
          who: entry.personEmail ?? (entry.personId ? entry.personId : 'DSL Desk (operator)'),
          action: entry.action,
          case: entry.caseReference ?? '',
          policy: entry.policyId ?? '',
        })),
      );
      if (list.truncated) console.log('More accesses match: narrow the search with --case, --person, --since or --until.');
    });
  });

const school = program.command('school').description('schools served by this deployment');
school
  .command('add')
  .description('add a school')
  .requiredOption('--name <name>', 'the school’s name')
  .requiredOption('--slug <slug>', 'short id, e.g. oakfield-primary')
  .option('--entra-tenant <tenantId>', 'its Microsoft 365 tenant id')
  .option('--google-domain <domain>', 'its Google Workspace domain')
  .option('--time-zone <tz>', 'IANA time zone (default Europe/London)')
  .option('--region <region>', 'whose bank holidays close the school: england (default), wales, scotland, northern-ireland or none')
  .option('--trust <slug>', 'the trust or local authority it belongs to (shares its tenant or domain)')
  .action(async (options: { name: string; slug: string; entraTenant?: string; googleDomain?: string; timeZone?: string; region?: string; trust?: string }) => {
    const { addSchool } = await import('../app/organisations/add-school.ts');
    const created = await withDeps((deps) =>
      addSchool(deps, {
        name: options.name,
        slug: options.slug,
        ...(options.timeZone ? { timeZone: options.timeZone } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.trust ? { organisationSlug: options.trust } : {}),
        ...(options.entraTenant ? { entraTenantId: options.entraTenant } : {}),
        ...(options.googleDomain ? { googleDomain: options.googleDomain } : {}),
      }),
    );
    console.log(`Added ${created.name} (slug ${created.slug}, id ${created.id}).`);
  });
school
  .command('list')
  .description('list schools')
  .action(async () => {
    const schools = await withDeps((deps) => deps.storage.transaction((tx) => tx.schools.list()));
    for (const s of schools) console.log(`${s.slug.padEnd(24)} ${s.name}${s.entraTenantId ? `  entra:${s.entraTenantId}` : ''}${s.googleDomain ? `  google:${s.googleDomain}` : ''}`);
  });

school
  .command('google')
  .description('who DSL Desk acts as on the school’s Google Workspace (domain-wide delegation) to find new starters; without --admin-email, show it')
  .requiredOption('--school <slug>', 'the school')
  .option('--admin-email <email>', 'an administrator of the school’s Workspace domain, allowed to read users and the admin audit log')
  .option('--staff-org-unit <path>', 'an org unit holding staff, e.g. /Staff (repeat for several; default: every unit except those naming pupils or students)', (value: string, previous: string[] = []) => [...previous, value])
  .action(async (options: { school: string; adminEmail?: string; staffOrgUnit?: string[] }) => {
    const [{ OPERATOR }, { setGoogleAdmin }, { describeGoogleDirectory }] = await Promise.all([
      import('../app/deps.ts'),
      import('../app/organisations/set-google-admin.ts'),
      import('../app/people/sync-google-directory.ts'),
    ]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      if (!options.adminEmail) {
        if (options.staffOrgUnit?.length) throw new CliError('Give --admin-email with --staff-org-unit (the admin DSL Desk acts as).');
        console.log(describeGoogleDirectory(await deps.storage.read((reader) => reader.googleDirectory.get(target.id))));
        return;
      }
      const saved = await setGoogleAdmin(deps, {
        actor: OPERATOR,
        schoolId: target.id,
        input: { adminEmail: options.adminEmail, ...(options.staffOrgUnit?.length ? { staffOrgUnits: options.staffOrgUnit } : {}) },
      });
      console.log(`${target.name}: ${describeGoogleDirectory(saved)}`);
      if (!target.googleDomain) console.log('Note: the school has no Google Workspace domain recorded (school add --google-domain); new starters are placed by the admin’s domain.');
    });
  });

school
  .command('pupil-pattern')
  .description('when several concerns about one pupil make "a pattern for a pupil" card for the DSLs; without options, show the rule')
  .requiredOption('--school <slug>', 'the school')
  .option('--count <n>', 'this many concerns about one pupil (default 3)…', (value: string) => parseWholeNumber(value, '--count'))
  .option('--days <n>', '…within this many days make a pattern (default 60)', (value: string) => parseWholeNumber(value, '--days'))
  .option('--always-types <codes>', 'incident types that make a pattern on their own, comma-separated (see GET /api/v1/incident-types); "" for none')
  .action(async (options: { school: string; count?: number; days?: number; alwaysTypes?: string }) => {
    const [{ OPERATOR }, { setPupilPatternRule }, { DEFAULT_PATTERN_RULE }] = await Promise.all([import('../app/deps.ts'), import('../app/pupils/set-pupil-pattern-rule.ts'), import('../domain/pupil.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const current = (await deps.storage.read((reader) => reader.pupilPatterns.getRule(target.id))) ?? DEFAULT_PATTERN_RULE;
      const describe = (rule: { count: number; days: number; alwaysTypes: readonly string[] }) =>
        `${rule.count} concerns within ${rule.days} days${rule.alwaysTypes.length ? `, or one of: ${rule.alwaysTypes.join(', ')}` : ''}`;
      if (options.count === undefined && options.days === undefined && options.alwaysTypes === undefined) {
        console.log(`${target.name}: a pattern for a pupil is ${describe(current)}.`);
        return;
      }
      const alwaysTypes = options.alwaysTypes === undefined ? current.alwaysTypes : options.alwaysTypes.split(',').map((code) => code.trim()).filter(Boolean);
      const saved = await setPupilPatternRule(deps, { actor: OPERATOR, schoolId: target.id, rule: { count: options.count ?? current.count, days: options.days ?? current.days, alwaysTypes } });
      console.log(`${target.name}: a pattern for a pupil is now ${describe(saved)}.`);
    });
  });

function parseWholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number.`);
  return Number(value);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const trust = program.command('trust').description('trusts and local authorities: several schools on one tenant or domain');
trust
  .command('add')
  .description('add a trust (or a local authority’s service) that owns a tenant and/or a Google Workspace domain')
  .requiredOption('--name <name>', 'the trust’s name')
  .requiredOption('--slug <slug>', 'short id, e.g. oak-learning-trust')
  .option('--entra-tenant <tenantId>', 'a Microsoft 365 tenant id it owns (repeat for several)', collect)
  .option('--google-domain <domain>', 'a Google Workspace domain it owns (repeat for several)', collect)
  .option('--local-authority', 'a local authority’s service rather than a trust')
  .action(async (options: { name: string; slug: string; entraTenant?: string[]; googleDomain?: string[]; localAuthority?: boolean }) => {
    const { addTrust } = await import('../app/organisations/add-trust.ts');
    const created = await withDeps((deps) =>
      addTrust(deps, { name: options.name, slug: options.slug, kind: options.localAuthority ? 'local_authority' : 'trust', entraTenantIds: options.entraTenant ?? [], googleDomains: options.googleDomain ?? [] }),
    );
    console.log(`Added ${created.name} (slug ${created.slug}). Add its schools with: npx dsl-desk school add --name … --slug … --trust ${created.slug}`);
  });
trust
  .command('list')
  .description('list trusts, local authorities and schools on their own, with their schools')
  .action(async () => {
    const rows = await withDeps((deps) =>
      deps.storage.read(async (reader) => {
        const out: string[] = [];
        for (const organisation of await reader.organisations.list()) {
          const directories = await reader.organisations.listDirectories(organisation.id);
          const schools = await reader.schools.listByOrganisation(organisation.id);
          out.push(`${organisation.slug.padEnd(24)} ${organisation.name} [${organisation.kind}]${directories.map((d) => `  ${d.provider}:${d.key}`).join('')}`);
          for (const s of schools) out.push(`  - ${s.slug.padEnd(22)} ${s.name}`);
        }
        return out;
      }),
    );
    for (const line of rows) console.log(line);
  });
const rule = trust.command('rule').description('which school a directory account belongs to');
rule
  .command('add')
  .description('add a rule: accounts whose fact matches go to the school (every matching rule adds its school)')
  .requiredOption('--trust <slug>', 'the trust')
  .requiredOption('--when <fact=value>', 'company, department, office, group, domain or extensionAttribute1…15, e.g. department=Oakfield')
  .requiredOption('--school <slug>', 'the school of the trust')
  .action(async (options: { trust: string; when: string; school: string }) => {
    const [{ addMembershipRule }, { OPERATOR }] = await Promise.all([import('../app/organisations/manage-membership-rules.ts'), import('../app/deps.ts')]);
    const added = await withDeps((deps) => addMembershipRule(deps, { actor: OPERATOR, trust: options.trust, when: options.when, school: options.school }));
    console.log(`Rule ${added.id}: ${added.when} → ${added.school}`);
  });
rule
  .command('list')
  .description('list the trust’s rules (in order) and per-person overrides')
  .requiredOption('--trust <slug>', 'the trust')
  .option('--json', 'print as JSON')
  .action(async (options: { trust: string; json?: boolean }) => {
    const [{ listMembershipRules }, { OPERATOR }] = await Promise.all([import('../app/organisations/manage-membership-rules.ts'), import('../app/deps.ts')]);
    const listed = await withDeps((deps) => listMembershipRules(deps, { actor: OPERATOR, trust: options.trust }));
    if (options.json) return console.log(JSON.stringify(listed, null, 2));
    if (listed.rules.length === 0) console.log('No rules: in a trust of several schools, nobody is placed in a school until a rule or an override says so.');
    for (const r of listed.rules) console.log(`${String(r.position).padStart(3)}  ${r.id}  ${r.when} → ${r.school}`);
    for (const o of listed.overrides) console.log(`override  ${o.email} → ${o.school}`);
  });
rule
  .command('remove')
  .description('remove a rule (its id from "trust rule list")')
  .requiredOption('--trust <slug>', 'the trust')
  .requiredOption('--id <ruleId>', 'the rule’s id')
  .action(async (options: { trust: string; id: string }) => {
    const [{ removeMembershipRule }, { OPERATOR }] = await Promise.all([import('../app/organisations/manage-membership-rules.ts'), import('../app/deps.ts')]);
    await withDeps((deps) => removeMembershipRule(deps, { actor: OPERATOR, trust: options.trust, ruleId: options.id }));
    console.log('Rule removed.');
  });
trust
  .command('override')
  .description('place one person in these schools whatever the rules say (repeat --school for two); --clear to go back to the rules')
  .requiredOption('--trust <slug>', 'the trust')
  .requiredOption('--email <email>', 'the person’s directory address')
  .option('--school <slug>', 'a school of the trust (repeat for several)', collect)
  .option('--clear', 'remove the override')
  .action(async (options: { trust: string; email: string; school?: string[]; clear?: boolean }) => {
    if (!options.clear && !options.school?.length) throw new CliError('Give --school (one or more), or --clear to remove the override.');
    const [{ setMembershipOverride }, { OPERATOR }] = await Promise.all([import('../app/organisations/manage-membership-rules.ts'), import('../app/deps.ts')]);
    const set = await withDeps((deps) => setMembershipOverride(deps, { actor: OPERATOR, trust: options.trust, email: options.email, schools: options.clear ? [] : (options.school ?? []) }));
    console.log(set.schools.length ? `${set.email} → ${set.schools.join(', ')}` : `${set.email}: override removed; the rules decide.`);
  });
trust
  .command('grant-role')
  .description('make someone the trust’s safeguarding lead (figures of every school, no case content) or its DSL Desk administrator')
  .requiredOption('--trust <slug>', 'the trust')
  .requiredOption('--email <email>', 'their directory address')
  .requiredOption('--role <role>', 'trust_safeguarding_lead or trust_admin')
  .action(async (options: { trust: string; email: string; role: string }) => {
    const [{ grantTrustRole }, { OPERATOR }] = await Promise.all([import('../app/organisations/grant-trust-role.ts'), import('../app/deps.ts')]);
    const granted = await withDeps((deps) => grantTrustRole(deps, { actor: OPERATOR, trust: options.trust, email: options.email, role: options.role }));
    console.log(`${granted.email} is now ${granted.role} of ${options.trust}.`);
  });
trust
  .command('dry-run')
  .description('show which school each directory account would land in, changing nothing (from Graph when configured, or an export)')
  .requiredOption('--trust <slug>', 'the trust')
  .option('--directory <file>', 'a JSON (Graph users) or CSV export to read instead of Graph')
  .option('--json', 'print as JSON')
  .action(async (options: { trust: string; directory?: string; json?: boolean }) => {
    const [{ previewTrustMembership }, { OPERATOR }] = await Promise.all([import('../app/organisations/preview-trust-membership.ts'), import('../app/deps.ts')]);
    const facts = options.directory ? (await import('./directory-export.ts')).readDirectoryExport(await readFile(options.directory, 'utf8'), options.directory) : await directoryFromGraph(options.trust);
    const preview = await withDeps((deps) => previewTrustMembership(deps, { actor: OPERATOR, trust: options.trust, people: facts }));
    if (options.json) return console.log(JSON.stringify(preview, null, 2));
    for (const row of preview.rows) console.log(`${row.email.padEnd(40)} ${row.schools.length ? row.schools.join(', ') : '(no school: sign-in is refused)'}  [${row.reason}]`);
    console.log(`\n${Object.entries(preview.bySchool).map(([slug, n]) => `${slug}: ${n}`).join('  ')}  in no school: ${preview.inNoSchool}`);
  });
trust
  .command('figures')
  .description('each school’s open cases, ages and escalations (no case content); audited in every school')
  .requiredOption('--trust <slug>', 'the trust')
  .option('--json', 'print as JSON')
  .action(async (options: { trust: string; json?: boolean }) => {
    const [{ getTrustFigures }, { OPERATOR }] = await Promise.all([import('../app/organisations/get-trust-figures.ts'), import('../app/deps.ts')]);
    const figures = await withDeps((deps) => getTrustFigures(deps, { actor: OPERATOR, trust: options.trust }));
    if (options.json) return console.log(JSON.stringify(figures, null, 2));
    console.log(`${figures.trust.name}, as of ${figures.asOf}`);
    for (const f of figures.schools) {
      console.log(
        `${f.school.slug.padEnd(24)} open ${f.openCases} (new ${f.byStatus.new}, urgent ${f.urgentOpen}, escalated ${f.escalatedOpen}); age <7d ${f.ages.underSevenDays}, 7-30d ${f.ages.sevenToThirtyDays}, >30d ${f.ages.overThirtyDays}; oldest ${f.ages.oldestOpenDays ?? '-'}d`,
      );
    }
  });

/** Every member account of the trust's Microsoft 365 tenants, read with DSL Desk's own Graph access. */
async function directoryFromGraph(trustSlug: string) {
  const config = await cliConfig();
  if (!config.entra.clientId || !config.entra.clientSecret) {
    throw new CliError('Graph is not configured (ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET): give an export with --directory file.json or file.csv.');
  }
  const [{ createGraphDirectory }, { classifyDirectoryUser, mergeDirectoryUser, DEFAULT_SERVICE_ACCOUNT_PATTERNS }, { directoryFactsOf }] = await Promise.all([
    import('../integrations/microsoft/graph-directory.ts'),
    import('../domain/directory.ts'),
    import('../app/people/sync-directory.ts'),
  ]);
  const tenants = await withDeps((deps) =>
    deps.storage.read(async (reader) => {
      const organisation = await reader.organisations.getBySlug(trustSlug);
      if (!organisation) throw new CliError(`No trust has the slug "${trustSlug}". List them with: npx dsl-desk trust list`);
      return (await reader.organisations.listDirectories(organisation.id)).filter((d) => d.provider === 'entra').map((d) => d.key);
    }),
  );
  const reader = createGraphDirectory({ clientId: config.entra.clientId, clientSecret: config.entra.clientSecret, loginUrl: config.entra.loginUrl, graphUrl: config.entra.graphUrl });
  const facts: DirectoryFacts[] = [];
  for (const tenant of tenants) {
    await reader.readChanges(tenant, undefined, async (page) => {
      for (const change of page.users) {
        const user = mergeDirectoryUser(undefined, change);
        if (classifyDirectoryUser(user, { serviceAccountPatterns: DEFAULT_SERVICE_ACCOUNT_PATTERNS }).kind !== 'person') continue;
        facts.push(directoryFactsOf(user, (user.mail ?? user.userPrincipalName ?? '').toLowerCase()));
      }
    });
  }
  return facts;
}

const people = program.command('people').description('people and roles of a school');
people
  .command('import <csv>')
  .description('import people from a CSV with columns display_name,email,roles[,entra_object_id,google_subject]; roles separated by ";"')
  .requiredOption('--school <slug>', 'the school')
  .option('--update', 'also change people already known (their name, new roles); without it their changes are only listed')
  .action(async (file: string, options: { school: string; update?: boolean }) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
    }
    // CommonJS packages (cli-progress, qrcode) are taken through their default export: the only one a bundle keeps.
    const [{ readPeopleCsv }, { default: cliProgress }, { OPERATOR }, { importPeople }] = await Promise.all([
      import('./people-csv.ts'),
      import('cli-progress'),
      import('../app/deps.ts'),
      import('../app/people/import-people.ts'),
    ]);
    const csv = readPeopleCsv(text);
    if (csv.problem) throw new CliError(`${file}: ${csv.problem} Nothing was imported.`);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      // A bar only for a person watching a terminal; a log or a pipe gets the summary alone.
      const bar = process.stdout.isTTY && process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'Importing {bar} {value}/{total} rows', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      let report: Awaited<ReturnType<typeof importPeople>>;
      try {
        bar?.start(csv.rows.length, 0);
        report = await importPeople(deps, { actor: OPERATOR, schoolId: target.id, rows: csv.rows, update: Boolean(options.update), onRow: (done) => bar?.update(done) });
      } finally {
        bar?.stop();
      }
      console.log(`Imported into ${target.name}: ${report.created} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.heldBack ? `${report.heldBack} with changes not applied, ` : ''}${report.errors.length} rejected.`);
      for (const note of report.notes) console.log(`  line ${note.line}: ${note.message}${note.kind === 'needs_update' ? ' (use --update to apply)' : note.kind === 'updated' ? ' (updated)' : ''}`);
      if (report.errors.length) console.log(`${report.errors.length} row${report.errors.length === 1 ? ' was' : 's were'} rejected: fix ${report.errors.length === 1 ? 'it' : 'them'} and import the file again (rows already imported are left as they are).`);
      if (report.heldBack) console.log(`${report.heldBack} existing ${report.heldBack === 1 ? 'person was' : 'people were'} left unchanged: run again with --update to apply the changes listed.`);
      if (report.errors.length || report.heldBack) process.exitCode = 2;
    });
  });
const pupils = program.command('pupils').description('the pupil register of a school');
pupils
  .command('import <file>')
  .description('import pupils from the MIS: a Common Transfer File (.xml) or a CSV with columns upn,legal_forename,legal_surname,preferred_forename,preferred_surname,date_of_birth,year_group,registration_group,leaving_date; run it again each term')
  .requiredOption('--school <slug>', 'the school')
  .action(async (file: string, options: { school: string }) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
    }
    const [{ readPupilFile, pupilFileKindOf }, { OPERATOR }, { importPupils }] = await Promise.all([
      import('../integrations/pupil-files/read-pupil-file.ts'),
      import('../app/deps.ts'),
      import('../app/pupils/import-pupils.ts'),
    ]);
    const pupilFile = readPupilFile(text, pupilFileKindOf(file));
    if (pupilFile.problem) throw new CliError(`${file}: ${pupilFile.problem} Nothing was imported.`);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const report = await importPupils(deps, { actor: OPERATOR, schoolId: target.id, file: pupilFile });
      const kind = report.format === 'ctf' ? `${report.full ? 'full' : 'partial'} CTF` : 'CSV';
      console.log(`Imported the ${kind} into ${target.name}: ${report.added} added, ${report.updated} updated, ${report.markedLeft} marked left, ${report.unchanged} unchanged, ${report.rejected.length} rejected.`);
      for (const rejected of report.rejected) console.log(`  ${rejected.position}: ${rejected.message}`);
      if (report.notInFile) console.log(`${report.notInFile} pupil${report.notInFile === 1 ? ' on roll is' : 's on roll are'} not in this full file and ${report.notInFile === 1 ? 'was' : 'were'} left as before: if they have left, export them from the MIS with their leaving date.`);
      if (report.rejected.length) {
        console.log(`Fix the ${report.rejected.length === 1 ? 'pupil' : 'pupils'} rejected in the MIS and import the file again (pupils already imported are not duplicated).`);
        process.exitCode = 2;
      }
    });
  });

pupils
  .command('account-rule')
  .description('how the school’s pupil accounts in Microsoft 365 are named, so the directory sync links each to its pupil (and never takes it for staff)')
  .requiredOption('--school <slug>', 'the school')
  .option('--email-template <template>', 'the pupils’ address with {upn} where the UPN goes, e.g. "{upn}@pupils.school.example"')
  .option('--clear', 'stop matching pupil accounts')
  .action(async (options: { school: string; emailTemplate?: string; clear?: boolean }) => {
    if (Boolean(options.emailTemplate) === Boolean(options.clear)) throw new CliError('Give either --email-template "{upn}@pupils.school.example" or --clear.');
    const [{ OPERATOR }, { setPupilAccountRule }] = await Promise.all([import('../app/deps.ts'), import('../app/pupils/set-pupil-account-rule.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const rule = await setPupilAccountRule(deps, { actor: OPERATOR, schoolId: target.id, rule: options.clear ? null : { emailTemplate: options.emailTemplate } });
      console.log(rule ? `${target.name}: accounts named ${rule.emailTemplate} are pupils’; the directory sync links each to the pupil of that UPN.` : `${target.name}: pupil accounts are no longer matched.`);
    });
  });

people
  .command('grant-role')
  .description('give a person a role')
  .requiredOption('--school <slug>', 'the school')
  .requiredOption('--email <email>', 'the person’s email')
  .requiredOption('--role <role>', `one of: ${ROLES.join(', ')}`, parseRole)
  .action(async (options: { school: string; email: string; role: Role }) => {
    const [{ OPERATOR }, { grantRole }] = await Promise.all([import('../app/deps.ts'), import('../app/people/grant-role.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const person = await deps.storage.transaction((tx) => tx.people.findByEmail(target.id, options.email));
      if (!person) throw new CliError(`Nobody with the email ${options.email} in ${target.name}. Import or add them first.`);
      const updated = await grantRole(deps, { actor: OPERATOR, schoolId: target.id, personId: person.id, role: options.role });
      console.log(`${updated.displayName} now has: ${updated.roles.join(', ')}.`);
    });
  });
people
  .command('list')
  .description('list a school’s people and roles')
  .requiredOption('--school <slug>', 'the school')
  .action(async (options: { school: string }) => {
    const [{ OPERATOR }, { findPeople }] = await Promise.all([import('../app/deps.ts'), import('../app/people/find-people.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      for (const p of await findPeople(deps, { actor: OPERATOR, schoolId: target.id })) console.log(`${p.email.padEnd(36)} ${p.displayName.padEnd(28)} ${p.roles.join(', ')}`);
    });
  });

// `analyse`: the email analysis the report endpoint runs, for IT staff and for tuning. Needs no database
// unless --school is given. Prints one JSON object; exit 2 when the file cannot be read or is not an email.
const repeatable = (value: string, previous: string[]) => [...previous, value];
program
  .command('analyse <file>')
  .alias('analyze')
  .description('analyse a reported email (.eml): prints one JSON object with the verdict, signals and their evidence')
  .option('--school-domain <domain>', 'a mail domain of the school (repeatable)', repeatable, [])
  .option('--staff-name <name>', 'a staff member’s display name (repeatable)', repeatable, [])
  .option('--school-name <name>', 'the school’s name, e.g. "Oakfield Primary School"')
  .option('--school <slug>', 'take the school’s name, staff names and mail domains from the configured database')
  .option('--own-address <address>', 'the reporter’s or a recipient’s address, never used as evidence (repeatable)', repeatable, [])
  .option('--simulation-sender <value>', 'the school’s phishing simulation: a domain, a header name, or "Header: value" (repeatable)', repeatable, [])
  .option('--authserv-id <id>', 'recognise our own Authentication-Results by this authserv-id, or "compauth=" (repeatable)', repeatable, [])
  .action(async (file: string, options: { schoolDomain: string[]; staffName: string[]; schoolName?: string; school?: string; ownAddress: string[]; simulationSender: string[]; authservId: string[] }) => {
    const { analyseEmail, schoolDomainsOf } = await import('../analysis/index.ts');
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      console.error(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
      process.exitCode = 2;
      return;
    }
    const context: AnalysisContext = {
      schoolDomains: [...options.schoolDomain],
      staffNames: [...options.staffName],
      ...(options.schoolName ? { schoolName: options.schoolName } : {}),
      ...(options.ownAddress.length ? { ownAddresses: options.ownAddress } : {}),
      ...(options.simulationSender.length ? { simulationSenders: options.simulationSender } : {}),
      ...(options.authservId.length ? { tenantAuthservIds: options.authservId } : {}),
    };
    if (options.school) {
      const [{ OPERATOR }, { findPeople }] = await Promise.all([import('../app/deps.ts'), import('../app/people/find-people.ts')]);
      await withDeps(async (deps) => {
        const target = await schoolBySlug(deps, options.school!);
        const staff = (await findPeople(deps, { actor: OPERATOR, schoolId: target.id })).filter((p) => p.active);
        context.schoolName ??= target.name;
        context.staffNames.push(...staff.map((p) => p.displayName));
        context.schoolDomains.push(...schoolDomainsOf([...staff.map((p) => p.email), ...(target.googleDomain ? [`x@${target.googleDomain}`] : [])]));
      });
    }
    try {
      console.log(JSON.stringify(await analyseEmail(raw, context), null, 2));
    } catch (error) {
      if (!isAppError(error) || error.code !== 'invalid_input') throw error;
      console.error(`${file}: ${error.userMessage}`);
      process.exitCode = 2;
    }
  });

// `aup`: the school's acceptable use policies, one versioned policy per audience.
const aup = program.command('aup').description('acceptable use policies');
aup
  .command('publish <audience> <file>')
  .description(`publish a new version of the policy for one audience (${AUP_AUDIENCES.join(', ')}) from a markdown file`)
  .requiredOption('--school <slug>', 'the school')
  .option('--title <title>', 'the policy title (default: the first "# " heading of the file)')
  .option('--wording <text>', 'what people agree to', 'I have read and agree to follow this policy')
  .option('--effective <date>', 'when it takes effect, YYYY-MM-DD (default: today)')
  .option('--review <date>', 'when it is next reviewed, YYYY-MM-DD (default: a year after it takes effect)')
  .action(async (audience: string, file: string, options: { school: string; title?: string; wording: string; effective?: string; review?: string }) => {
    const [{ OPERATOR }, { publishAup }] = await Promise.all([import('../app/deps.ts'), import('../app/aup/publish-aup.ts')]);
    let markdown: string;
    try {
      markdown = await readFile(file, 'utf8');
    } catch {
      throw new CliError(`Cannot read ${file}: give the path of the policy's markdown file.`);
    }
    const effective = options.effective ?? new Date().toISOString().slice(0, 10);
    const review = options.review ?? `${Number(effective.slice(0, 4)) + 1}${effective.slice(4)}`;
    const title = options.title ?? /^#[ \t]+(\S.*)$/m.exec(markdown)?.[1]?.trim();
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      try {
        const published = await publishAup(deps, {
          actor: OPERATOR,
          schoolId: target.id,
          policy: { audience, title, markdown, acknowledgementWording: options.wording, effectiveDate: effective, reviewDate: review },
        });
        console.log(`Published "${published.title}" for ${published.audience}: version ${published.version}, effective ${published.effectiveDate}, review ${published.reviewDate}.`);
        console.log(`SHA-256 ${published.sha256}`);
      } catch (error) {
        if (isAppError(error) && error.fields.length) throw new CliError(`${error.userMessage}\n${fieldErrorLines(runningCommand, error.fields)}`);
        throw error;
      }
    });
  });

aup
  .command('new-starter')
  .description('add a new starter by hand and send them the policy for their audience')
  .requiredOption('--school <slug>', 'the school')
  .requiredOption('--name <name>', 'their full name')
  .requiredOption('--email <email>', 'their school email address')
  .option('--audience <audience>', `override the audience (${AUP_AUDIENCES.join(', ')})`)
  .option('--start-date <date>', 'first day with pupils, YYYY-MM-DD: unsigned two working days before, the head is told')
  .option('--line-manager <email>', 'their line manager, who is told too')
  .option('--entra-object-id <id>', 'their Microsoft 365 object id, when known')
  .action(async (options: { school: string; name: string; email: string; audience?: string; startDate?: string; lineManager?: string; entraObjectId?: string }) => {
    const [{ OPERATOR }, { addNewStarter }] = await Promise.all([import('../app/deps.ts'), import('../app/aup/welcome-new-starter.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const input = {
        displayName: options.name,
        email: options.email,
        ...(options.audience ? { audience: options.audience } : {}),
        ...(options.startDate ? { startDate: options.startDate } : {}),
        ...(options.lineManager ? { lineManagerEmail: options.lineManager } : {}),
        ...(options.entraObjectId ? { entraObjectId: options.entraObjectId } : {}),
      };
      const added = await withFieldErrors(() => addNewStarter(deps, { actor: OPERATOR, schoolId: target.id, input }));
      console.log(
        added.delivery
          ? `${options.name} is a new starter: their policy goes out shortly (the running service sends it).`
          : `${options.name} is recorded. No policy was sent: they already have one pending, or nothing is published for their audience yet.`,
      );
    });
  });

aup
  .command('status')
  .description('who has and has not signed the current policy for their audience, this year')
  .requiredOption('--school <slug>', 'the school')
  .option('--audience <audience>', `only one audience (${AUP_AUDIENCES.join(', ')})`)
  .option('--unsigned', 'only the people who have not signed')
  .option('--csv [file]', 'write CSV (to the file, or to standard output)')
  .action(async (options: { school: string; audience?: string; unsigned?: boolean; csv?: string | boolean }) => {
    if (options.audience && !(AUP_AUDIENCES as readonly string[]).includes(options.audience)) throw new CliError(`--audience must be one of: ${AUP_AUDIENCES.join(', ')}.`);
    const [{ OPERATOR }, { aupStatusCsv, getAupStatus, SIGNED_VIA_LABELS }, { DateTime }] = await Promise.all([import('../app/deps.ts'), import('../app/aup/get-aup-status.ts'), import('luxon')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const status = await getAupStatus(deps, { actor: OPERATOR, schoolId: target.id, ...(options.audience ? { audience: options.audience as AupAudience } : {}), onlyUnsigned: Boolean(options.unsigned), via: options.csv ? 'cli_csv' : 'cli' });
      if (options.csv) {
        const csv = aupStatusCsv(status);
        if (typeof options.csv === 'string') {
          await writeFile(options.csv, `\uFEFF${csv}`);
          console.log(`Wrote ${status.rows.length} rows to ${options.csv}.`);
        } else process.stdout.write(csv);
        return;
      }
      const table = status.rows.map((row) => ({
        name: row.displayName,
        audience: row.audienceLabel,
        policy: row.policyVersion ? `v${row.policyVersion}` : '—',
        status: row.status === 'no_policy' ? 'no policy' : row.status,
        // When they signed, in the school's time, with the zone in the heading: SIGNED (Europe/London).
        [`signed (${target.timeZone})`]: row.signedAt ? DateTime.fromISO(row.signedAt, { zone: target.timeZone }).toFormat('yyyy-MM-dd HH:mm') : '',
        how: row.signedVia ? `${SIGNED_VIA_LABELS[row.signedVia]}${row.linkFor && row.linkFor !== row.displayName ? ` (for ${row.linkFor})` : ''}` : '',
        sent: row.delivery ? `${row.delivery.channel ?? row.delivery.state}${row.delivery.remindersSent ? `, ${row.delivery.remindersSent} reminder(s)` : ''}` : '',
        problem: row.delivery?.failureReason ?? '',
      }));
      printTable(table);
      console.log(
        `\n${target.name}, year from ${status.cycle}: ${status.totals.signed} signed${status.totals.throughLink ? ` (${status.totals.throughLink} without an account, through a one-time link)` : ''}, ${status.totals.unsigned} not signed${status.totals.noPolicy ? `, ${status.totals.noPolicy} with no policy published for their audience` : ''}.`,
      );
    });
  });

aup
  .command('link')
  .description('make a one-time signing link (and QR code) for someone without an account: supply staff, a visitor')
  .requiredOption('--school <slug>', 'the school')
  .requiredOption('--audience <audience>', `their audience (${AUP_AUDIENCES.join(', ')})`)
  .requiredOption('--for <name>', 'who the link is for')
  .option('--email <email>', 'their email address, if known')
  .option('--hours <n>', 'how long the link works (default a week, at most 30 days)', (value) => {
    const hours = Number(value);
    if (!Number.isInteger(hours)) throw new InvalidArgumentError('Give a whole number of hours.');
    return hours;
  })
  .option('--qr <file.svg>', 'also save the QR code, with its caption, as an SVG file (to print for reception)')
  .option('--local', 'allow a link only this machine can open (PUBLIC_BASE_URL unset or localhost), for trying things out')
  .action(async (options: { school: string; audience: string; for: string; email?: string; hours?: number; qr?: string; local?: boolean }) => {
    // The address the service itself gives out (PUBLIC_BASE_URL), checked before any link is made.
    const { publicUrl, publicUrlConfigured } = await cliConfig();
    const [{ default: QRCode }, { OPERATOR }, { createSigningLink, signingLinkCaption, whyLinkOnlyWorksHere }, { captionedQrSvg }] = await Promise.all([
      import('qrcode'),
      import('../app/deps.ts'),
      import('../app/aup/create-signing-link.ts'),
      import('./qr-caption.ts'),
    ]);
    const onlyHere = whyLinkOnlyWorksHere(publicUrl, publicUrlConfigured);
    if (onlyHere && !options.local) {
      throw new CliError(
        `${onlyHere} Nobody else could open the link or its QR code, so none was made.\n` +
          'Set PUBLIC_BASE_URL to the https address staff open DSL Desk at (as for the service), or add --local to make one for this machine only.',
      );
    }
    if (options.qr && !/\.svg$/i.test(options.qr)) throw new CliError(`--qr saves an SVG file: give a name ending in .svg (not ${options.qr}).`);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const input = { audience: options.audience, intendedFor: options.for, ...(options.email ? { email: options.email } : {}), ...(options.hours ? { validHours: options.hours } : {}) };
      const created = await withFieldErrors(() => createSigningLink(deps, { actor: OPERATOR, schoolId: target.id, input, publicUrl }));
      const caption = signingLinkCaption(created);
      console.log('One-time signing link:');
      for (const line of caption) console.log(`  ${line}`);
      if (onlyHere) console.log('  Only this machine can open it (--local).');
      console.log(created.url);
      if (options.qr) {
        await writeFile(options.qr, captionedQrSvg(await QRCode.toString(created.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), caption));
        console.log(`QR code, with who it is for, the policy and the expiry under it, saved to ${options.qr}.`);
      }
      if (process.stdout.isTTY) console.log(`${await QRCode.toString(created.url, { type: 'terminal', small: true })}${caption.join('\n')}`);
    });
  });

const campaign = aup.command('campaign').description('asking everyone in an audience to sign');
campaign
  .command('status')
  .description('every delivery of a policy in progress (publications, yearly rounds, new starters, reminders): sent, pending, signed and failed (with why)')
  .requiredOption('--school <slug>', 'the school')
  .option('--watch', 'keep the progress bar updating until nothing is left to send')
  .action(async (options: { school: string; watch?: boolean }) => {
    const [{ OPERATOR }, { listAupDeliveries }] = await Promise.all([import('../app/deps.ts'), import('../app/aup/list-aup-deliveries.ts')]);
    await withDeps(async (deps) => {
      const target = await schoolBySlug(deps, options.school);
      const read = () => listAupDeliveries(deps, { actor: OPERATOR, schoolId: target.id, includeFinished: true });
      let groups = await read();
      if (!groups.length) {
        console.log(`${target.name} has nothing being sent and no campaigns this year. Publishing a policy starts one; a new starter is sent theirs.`);
        return;
      }
      const totals = (list: typeof groups) => {
        const live = list.filter((g) => g.inProgress);
        const sum = (pick: (g: (typeof groups)[number]) => number) => live.reduce((n, g) => n + pick(g), 0);
        return { people: sum((g) => g.people), sent: sum((g) => g.sent), signed: sum((g) => g.signed), failed: sum((g) => g.failed), pending: sum((g) => g.pending), awaitingReminder: sum((g) => g.awaitingReminder) };
      };
      if (options.watch) {
        // Every send in progress as one bar, until nothing is left to send (reminders go out over days).
        const label = (t: ReturnType<typeof totals>) => ({ signed: t.signed, failed: t.failed });
        let now = totals(groups);
        if (process.stdout.isTTY) {
          const { default: cliProgress } = await import('cli-progress');
          const bar = new cliProgress.SingleBar({ format: ' {bar} {percentage}% | {value}/{total} sent | {signed} signed | {failed} failed', hideCursor: true }, cliProgress.Presets.shades_classic);
          try {
            bar.start(Math.max(1, now.people), now.sent, label(now));
            while (now.pending > 0) {
              await new Promise((resolve) => setTimeout(resolve, 1000));
              groups = await read();
              now = totals(groups);
              bar.setTotal(Math.max(1, now.people));
              bar.update(now.sent, label(now));
            }
          } finally {
            bar.stop();
          }
        } else {
          // Not a terminal (a log, a pipe): one line per look, the same bar drawn in text.
          for (;;) {
            console.log(progressLine(now.sent, now.people, now.signed, now.failed));
            if (now.pending === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 5000));
            groups = await read();
            now = totals(groups);
          }
        }
      }
      const live = groups.filter((g) => g.inProgress);
      console.log(live.length ? `In progress at ${target.name}:` : `Nothing is being sent or waiting for a reminder at ${target.name}.`);
      for (const group of live) printDeliveryGroup(group);
      const done = groups.filter((g) => !g.inProgress);
      if (done.length) console.log(`Finished this year:`);
      for (const group of done) printDeliveryGroup(group);
      const now = totals(groups);
      if (live.length) console.log(`In progress: sent ${now.sent}, signed ${now.signed}, failed ${now.failed}, still to send ${now.pending}, waiting for a reminder ${now.awaitingReminder}.`);
    });
  });

/** One send of a policy: what it is, its bar, its counts and why any failed. */
function printDeliveryGroup(group: AupDeliveryGroup): void {
  const what = { published: 'new version', yearly: 'yearly re-acknowledgement', new_starter: 'new starters', requested: 'asked one by one' }[group.reason] ?? group.reason;
  const since = group.startedAt.slice(0, 16).replace('T', ' ');
  console.log(`${group.policyTitle} v${group.policyVersion} (${what}), ${group.reason === 'new_starter' || group.reason === 'requested' ? 'first' : 'started'} ${since} UTC, ${group.people} ${group.people === 1 ? 'person' : 'people'}:`);
  console.log(progressLine(group.sent, group.people, group.signed, group.failed));
  console.log(`  sent ${group.sent}, pending ${group.pending}, failed ${group.failed}, signed ${group.signed}; reminders sent ${group.remindersSent}, ${group.awaitingReminder} waiting for a reminder`);
  for (const failure of group.failures) console.log(`  ${String(failure.count).padStart(5)} × ${failure.reason || failure.code}`);
  if (group.waitingFor.length) console.log(`  not signed yet: ${group.waitingFor.slice(0, 10).join(', ')}${group.waitingFor.length > 10 ? ` and ${group.waitingFor.length - 10} more` : ''}`);
}

/** Runs a use case and turns its field-level problems into one readable message, naming the flags typed. */
async function withFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isAppError(error) && error.fields.length) throw new CliError(`${error.userMessage}\n${fieldErrorLines(runningCommand, error.fields)}`);
    throw error;
  }
}

/** A progress bar as text: 30 cells, the share sent filled in. */
function progressLine(sent: number, total: number, signed: number, failed: number): string {
  const share = total > 0 ? Math.min(1, sent / total) : 1;
  const filled = Math.round(share * 30);
  return ` ${'█'.repeat(filled)}${'░'.repeat(30 - filled)} ${Math.round(share * 100)}% | ${sent}/${total} sent | ${signed} signed | ${failed} failed`;
}

function printTable(rows: Record<string, string>[]): void {
  if (!rows.length) {
    console.log('Nobody to show.');
    return;
  }
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) => Math.min(40, Math.max(column.length, ...rows.map((row) => row[column]!.length))));
  const line = (cells: string[]) => cells.map((cell, i) => (cell.length > widths[i]! ? `${cell.slice(0, widths[i]! - 1)}…` : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  // Headings in capitals, except a bracketed note such as a time zone's name: SIGNED (Europe/London).
  console.log(line(columns.map((c) => c.replace(/^[^(]*/, (name) => name.toUpperCase()))));
  for (const row of rows) console.log(line(columns.map((c) => row[c]!)));
}

export { program };

// Imported only for its definitions (the test that every flag has a name for errors): do not run.
if (!(globalThis as { __DSL_DESK_CLI_DEFINITIONS_ONLY__?: boolean }).__DSL_DESK_CLI_DEFINITIONS_ONLY__) {
  program.parseAsync(process.argv).catch((error: unknown) => {
    if (error instanceof CliError) console.error(error.message);
    else if (isAppError(error)) console.error(error.fields.length ? `${error.userMessage}\n${fieldErrorLines(runningCommand, error.fields)}` : error.userMessage);
    else console.error(`Failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
