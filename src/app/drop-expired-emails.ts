import { nowIso, type AppDeps } from './deps.ts';

/** Retention: reported messages past their keep-until date lose their body; the analysis stays with the case. */
export async function dropExpiredEmails(deps: AppDeps): Promise<number> {
  return deps.storage.transaction((tx) => tx.emails.dropExpiredContent(nowIso(deps)));
}
