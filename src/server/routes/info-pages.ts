import { IMMEDIATE_DANGER_GUIDANCE } from '../../domain/safety-guidance.ts';
import { Router } from 'express';

/**
 * The privacy and terms pages a Teams app must link to. Plain, accessible HTML with no school data;
 * a school publishing its own notices can point the app package at them instead.
 */
const page = (title: string, paragraphs: string[]) => `<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} – DSL Desk</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}h1{font-size:1.6rem}</style></head>
<body><main><h1>${title}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</main></body>
</html>`;

const PRIVACY = page('Privacy notice', [
  'DSL Desk is used by your school to receive online-safety and safeguarding concerns from staff and to record what the Designated Safeguarding Leads (DSLs) do about them. Your school is the data controller.',
  'When you report a concern, DSL Desk records who reported it and when, and what you wrote. What you write is special-category personal data: it is encrypted when stored, it is shown only to the DSLs and the headteacher, and it never appears in chat notifications, emails or logs.',
  'Every time someone opens or changes a case, DSL Desk records who did it and when, so the school can show how each concern was handled.',
  'Records are kept as long as your school’s safeguarding policy says. To ask about or see information held about you, contact your school’s data protection lead.',
]);

const TERMS = page('Terms of use', [
  'DSL Desk is provided to your school for reporting and handling safeguarding concerns. Use it for that purpose only.',
  IMMEDIATE_DANGER_GUIDANCE,
  'Describe evidence, do not attach it. Never view, copy, save or forward images of children that may be indecent: tell the DSL at once.',
  'Your school’s safeguarding and acceptable use policies apply to everything you do in DSL Desk.',
]);

export function infoPages(): Router {
  const router = Router();
  router.get('/privacy', (_req, res) => {
    res.type('html').send(PRIVACY);
  });
  router.get('/terms', (_req, res) => {
    res.type('html').send(TERMS);
  });
  return router;
}
