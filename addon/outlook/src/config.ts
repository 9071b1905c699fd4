/**
 * Settings baked into the add-in by scripts/build-addin.ts (esbuild `define`), from the same environment
 * that fills the manifest. Nothing secret lives here: a client id and scopes are public by design.
 */
import { isPhishingMoveSetting, type PhishingMoveSetting } from './move-target.ts';
import { trimTrailing } from '../../../src/domain/text.ts';

export interface AddinConfig {
  /** The DSL Desk address; empty means "the origin this page was served from". */
  apiBase: string;
  /** Entra application (client) id used for nested app authentication. */
  clientId: string;
  /** https://login.microsoftonline.com/organizations, or a tenant's own authority. */
  authority: string;
  /** api://<host>/<client-id>/access_as_user */
  apiScope: string;
  /** Where phishing reports go after they are received (the school's setting). */
  phishingMoveTo: PhishingMoveSetting;
  /** The demo person the local sandbox acts as (only ever used on 127.0.0.1). */
  sandboxUser: string;
}

declare const __DSL_DESK_ADDIN_CONFIG__: Partial<AddinConfig> | undefined;

export const DEFAULT_CONFIG: AddinConfig = {
  apiBase: '',
  clientId: '',
  authority: 'https://login.microsoftonline.com/organizations',
  apiScope: '',
  phishingMoveTo: 'junk',
  sandboxUser: 'teacher@demo-school.test',
};

export function resolveConfig(injected: Partial<AddinConfig> | undefined): AddinConfig {
  const config = { ...DEFAULT_CONFIG, ...(injected ?? {}) };
  if (!isPhishingMoveSetting(config.phishingMoveTo)) config.phishingMoveTo = DEFAULT_CONFIG.phishingMoveTo;
  return config;
}

/** The settings this build was made with. */
export function addinConfig(): AddinConfig {
  return resolveConfig(typeof __DSL_DESK_ADDIN_CONFIG__ === 'undefined' ? undefined : __DSL_DESK_ADDIN_CONFIG__);
}

/** Where to send reports: the configured base, else this page's own origin. */
export function apiBaseFor(config: AddinConfig, location: { origin?: string } | undefined): string {
  if (config.apiBase) return trimTrailing(config.apiBase, '/');
  if (location?.origin && location.origin !== 'null') return location.origin;
  throw new Error('DSL Desk does not know its own address in this runtime: build the add-in with PUBLIC_BASE_URL set.');
}
