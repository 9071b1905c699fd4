import type { FieldIssue } from '../domain/errors.ts';

/**
 * For each CLI command (its words after `dsl-desk`), every flag and argument it takes and the use-case field
 * it fills: a use case names fields as the API does (`startDate`), but a person at the terminal typed
 * `--start-date`, so errors are printed with the flag. `null` marks a flag that fills no field (output
 * choices, the school's slug, which is looked up before any use case runs). Every flag of every command is
 * listed here: a test walks the commands and fails on a flag this table does not know.
 */
export const COMMAND_FIELDS: Readonly<Record<string, Readonly<Record<string, string | null>>>> = {
  serve: {},
  migrate: {},
  'audit verify': { '--json': null },
  'audit seal': {},
  'school add': { '--name': 'name', '--slug': 'slug', '--entra-tenant': 'entraTenantId', '--google-domain': 'googleDomain', '--time-zone': 'timeZone', '--region': 'region', '--trust': 'organisationSlug' },
  'audit access': { '--school': null, '--case': 'caseReference', '--person': 'personEmail', '--since': 'since', '--until': 'until', '--json': null },
  'school list': {},
  'school google': { '--school': null, '--admin-email': 'adminEmail', '--staff-org-unit': 'staffOrgUnits' },
  'school pupil-pattern': { '--school': null, '--count': 'count', '--days': 'days', '--always-types': 'alwaysTypes' },
  'trust add': { '--name': 'name', '--slug': 'slug', '--entra-tenant': 'entraTenantIds', '--google-domain': 'googleDomains', '--local-authority': null },
  'trust list': {},
  'trust rule add': { '--trust': null, '--when': 'when', '--school': 'school' },
  'trust rule list': { '--trust': null, '--json': null },
  'trust rule remove': { '--trust': null, '--id': 'ruleId' },
  'trust override': { '--trust': null, '--email': 'email', '--school': 'school', '--clear': null },
  'trust grant-role': { '--trust': null, '--email': 'email', '--role': 'role' },
  'trust dry-run': { '--trust': null, '--directory': null, '--json': null },
  'trust figures': { '--trust': null, '--json': null },
  'people import': { '<csv>': null, '--school': null, '--update': null },
  'people grant-role': { '--school': null, '--email': 'email', '--role': 'role' },
  'people list': { '--school': null },
  'pupils import': { '<file>': null, '--school': null },
  'pupils account-rule': { '--school': null, '--email-template': 'emailTemplate', '--clear': null },
  analyse: {
    '<file>': null,
    '--school-domain': 'schoolDomains',
    '--staff-name': 'staffNames',
    '--school-name': 'schoolName',
    '--school': null,
    '--own-address': 'ownAddresses',
    '--simulation-sender': 'simulationSenders',
    '--authserv-id': 'tenantAuthservIds',
  },
  'aup publish': {
    '<audience>': 'audience',
    '<file>': 'markdown',
    '--school': null,
    '--title': 'title',
    '--wording': 'acknowledgementWording',
    '--effective': 'effectiveDate',
    '--review': 'reviewDate',
  },
  'aup new-starter': {
    '--school': null,
    '--name': 'displayName',
    '--email': 'email',
    '--audience': 'audience',
    '--start-date': 'startDate',
    '--line-manager': 'lineManagerEmail',
    '--entra-object-id': 'entraObjectId',
  },
  'aup status': { '--school': null, '--audience': 'audience', '--unsigned': null, '--csv': null },
  'aup link': { '--school': null, '--audience': 'audience', '--for': 'intendedFor', '--email': 'email', '--hours': 'validHours', '--qr': null, '--local': null },
  'aup campaign status': { '--school': null, '--watch': null },
};

/**
 * The flag (or argument) a person typed for a use-case field path, for `command`. A nested path
 * (`policy.title`, `rows.3.email`) is matched by its longest known prefix, then by its last name;
 * a path the command does not fill is returned as it is.
 */
export function flagForField(command: string, path: string): string {
  const flags = COMMAND_FIELDS[command] ?? {};
  const byField = new Map<string, string>();
  for (const [flag, field] of Object.entries(flags)) if (field !== null && !byField.has(field)) byField.set(field, flag);
  const parts = path.split('.');
  for (let length = parts.length; length > 0; length -= 1) {
    const found = byField.get(parts.slice(0, length).join('.'));
    if (found) return found;
  }
  for (let start = 1; start < parts.length; start += 1) {
    const found = byField.get(parts.slice(start).join('.'));
    if (found) return found;
  }
  return path;
}

/** A use case's field problems as the person typed them: one "  --flag: what to fix" line each. */
export function fieldErrorLines(command: string, fields: readonly FieldIssue[]): string {
  return fields.map((field) => `  ${flagForField(command, field.path)}: ${field.message}`).join('\n');
}
