/**
 * The one MSAL.js entry point the add-in uses, imported statically so the bundler keeps only what nested app
 * authentication needs (a dynamic import would keep the whole library).
 */
import { createNestablePublicClientApplication } from '@azure/msal-browser';

export async function loadMsal(): Promise<{ createNestablePublicClientApplication: typeof createNestablePublicClientApplication }> {
  return { createNestablePublicClientApplication };
}
