import { parse } from 'csv-parse/sync';
import type { DirectoryFacts } from '../domain/organisation.ts';

/**
 * A directory export for `trust dry-run` offline: JSON as Graph lists users (an array, or `{ "value": […] }`,
 * with userPrincipalName/mail, companyName, department, officeLocation, onPremisesExtensionAttributes and an
 * optional `groups` list of names), or a CSV whose header names any of email, company, department, office,
 * groups (separated by ";") and extensionAttribute1…15.
 */
export function readDirectoryExport(text: string, fileName: string): DirectoryFacts[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (fileName.toLowerCase().endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as unknown;
    const list = Array.isArray(parsed) ? parsed : ((parsed as { value?: unknown[] }).value ?? []);
    return list.flatMap((entry) => {
      const user = (entry ?? {}) as Record<string, unknown>;
      const email = text_(user.mail) ?? text_(user.userPrincipalName) ?? text_(user.email);
      if (!email) return [];
      const extensions = user.onPremisesExtensionAttributes && typeof user.onPremisesExtensionAttributes === 'object' ? (user.onPremisesExtensionAttributes as Record<string, unknown>) : {};
      return [
        {
          email,
          company: text_(user.companyName) ?? text_(user.company),
          department: text_(user.department),
          office: text_(user.officeLocation) ?? text_(user.office),
          groups: Array.isArray(user.groups) ? user.groups.filter((g): g is string => typeof g === 'string') : [],
          extensionAttributes: Object.fromEntries(Object.entries({ ...extensions, ...pick(user, /^extensionAttribute\d+$/) }).map(([k, v]) => [k, text_(v)])),
        },
      ];
    });
  }
  const records = parse(trimmed, { columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, trim: true }) as Record<string, string>[];
  return records.flatMap((row) => {
    const email = text_(row.email) ?? text_(row.mail) ?? text_(row.userPrincipalName);
    if (!email) return [];
    return [
      {
        email,
        company: text_(row.company) ?? text_(row.companyName),
        department: text_(row.department),
        office: text_(row.office) ?? text_(row.officeLocation),
        groups: (row.groups ?? '').split(';').map((g) => g.trim()).filter(Boolean),
        extensionAttributes: Object.fromEntries(Object.entries(pick(row, /^extensionAttribute\d+$/)).map(([k, v]) => [k, text_(v)])),
      },
    ];
  });
}

function text_(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function pick(record: Record<string, unknown>, pattern: RegExp): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => pattern.test(key)));
}
