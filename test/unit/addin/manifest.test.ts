import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHOICE_LABELS, DIALOG_OPTION_ORDER } from '../../../addon/outlook/src/choices.ts';
import { SPAM_REPORT_FUNCTION } from '../../../addon/outlook/src/spam-report.ts';
import {
  checkStructure,
  checkUnifiedSchema,
  convertWithOfficeReader,
  fillManifest,
  findPlaceholders,
  ManifestError,
  resolveManifestValues,
  sandboxManifestPath,
  sandboxManifestValues,
  templatePath,
  validateOutlookManifest,
} from '../../../manifest/outlook/outlook-manifest.ts';

// No XSD of the Office add-in manifest is published in the npm registry, so "valid" here means: DSL Desk's
// structural rules (written from the schema documentation), Office's own manifest reader (shipped in
// Microsoft's office-addin-manifest-converter) and the official unified-manifest JSON schema all accept it.
// All offline.

const ROOT = resolve(__dirname, '../../..');
const TEMPLATE = readFileSync(templatePath(ROOT), 'utf8');
const FILLED = fillManifest(TEMPLATE, sandboxManifestValues());

/** A copy of the filled manifest with one change, which must be found. */
function broken(from: string, to: string): string {
  expect(FILLED).toContain(from);
  return FILLED.replace(from, to);
}

describe('the Outlook add-in manifest', () => {
  it('the filled sandbox manifest is valid offline (structure, Office\'s reader, unified schema)', async () => {
    const result = await validateOutlookManifest(FILLED);
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
    // What Office's reader made of it: spam reporting with our dialog, and the ribbon button.
    const ribbons = (result.unified as any).extensions[0].ribbons as any[];
    const spam = ribbons.find((ribbon) => ribbon.contexts.includes('spamReportingOverride') && ribbon.fixedControls);
    expect(spam.spamPreProcessingDialog.spamReportingOptions.options).toEqual(DIALOG_OPTION_ORDER.map((choice) => CHOICE_LABELS[choice]));
    expect(spam.spamPreProcessingDialog.spamFreeTextSectionTitle).toMatch(/DSL/);
    expect(ribbons.some((ribbon) => ribbon.contexts.includes('mailRead'))).toBe(true);
    expect((result.unified as any).webApplicationInfo).toEqual({ id: '00000000-0000-4000-8000-000000000002', resource: 'api://dsl-desk.example/00000000-0000-4000-8000-000000000002' });
  });

  it('the committed manifest.sandbox.xml is exactly the template filled with the sandbox values', () => {
    expect(readFileSync(sandboxManifestPath(ROOT), 'utf8')).toBe(FILLED);
  });

  it('wires the spam-reporting button to the function the add-in associates', () => {
    expect(FILLED).toContain(`<FunctionName>${SPAM_REPORT_FUNCTION}</FunctionName>`);
    expect(findPlaceholders(TEMPLATE).sort()).toEqual(['ENTRA_CLIENT_ID', 'OUTLOOK_ADDIN_ID', 'PUBLIC_BASE_URL', 'PUBLIC_HOSTNAME']);
  });

  it.each([
    ['a resource id that is not defined', broken('<Option resid="Option.Safeguarding"/>', '<Option resid="Option.Missing"/>'), /resid "Option.Missing", which is not defined in bt:ShortStrings/],
    ['a missing required element', broken('<Version>1.0.0.0</Version>', ''), /<OfficeApp> needs a <Version>/],
    ['elements out of order', broken('<DefaultLocale>en-GB</DefaultLocale>\n  <DisplayName DefaultValue="DSL Desk"/>', '<DisplayName DefaultValue="DSL Desk"/>\n  <DefaultLocale>en-GB</DefaultLocale>'), /out of order/],
    ['an unknown element', broken('<Permissions>ReadItem</Permissions>', '<Permissions>ReadItem</Permissions><Colour>purple</Colour>'), /<Colour>.*is not allowed/],
    ['a bad permission', broken('<Permissions>ReadItem</Permissions>', '<Permissions>Everything</Permissions>'), /<Permissions> value: must be one of/],
    ['spam reporting below Mailbox 1.14', broken('DefaultMinVersion="1.14"', 'DefaultMinVersion="1.13"'), /needs Mailbox 1.14/],
    ['six reporting options', broken('<Option resid="Option.Inappropriate"/>', '<Option resid="Option.Inappropriate"/>'.repeat(4)), /allows at most 5 <Option>/],
    ['a resource id over 32 characters', broken('<FreeTextLabel resid="FreeText.Label"/>', '<FreeTextLabel resid="FreeText.Label.Which.Is.Far.Too.Long"/>'), /longer than 32 characters/],
    ['a short string over 125 characters', broken('DefaultValue="Phishing or suspicious"', `DefaultValue="${'x'.repeat(126)}"`), /longer than 125 characters/],
    ['an http (not https) URL', broken('DefaultValue="https://dsl-desk.example/addin/outlook/taskpane.html"', 'DefaultValue="http://dsl-desk.example/addin/outlook/taskpane.html"'), /must be an https URL/],
    ['a spam runtime that does not match SourceLocation', broken('<SourceLocation resid="Commands.Url"/>\n              </ReportPhishingCustomization>', '<SourceLocation resid="Taskpane.Url"/>\n              </ReportPhishingCustomization>'), /must name the same URL as a <Runtime resid>/],
    ['a wrong add-in type', broken('xsi:type="MailApp"', 'xsi:type="TaskPaneApp"'), /must have xsi:type="MailApp"/],
    ['XML that is not well-formed', FILLED.replace('</OfficeApp>', ''), /not well-formed XML/],
    ['a placeholder left unfilled', TEMPLATE, /still has placeholders/],
  ])('refuses %s', async (_name, xml, problem) => {
    const result = await validateOutlookManifest(xml);
    expect(result.valid).toBe(false);
    expect(result.problems.join('\n')).toMatch(problem);
  });

  it("Office's own reader refuses a manifest it cannot read, independently of the structure rules", async () => {
    const withoutId = FILLED.replace(/<Id>[^<]*<\/Id>/, '');
    expect(checkStructure(withoutId).join('\n')).toMatch(/needs a <Id>/);
    const converted = await convertWithOfficeReader(withoutId);
    expect(converted.unified).toBeUndefined();
    expect(converted.problems.join('\n')).toMatch(/Office's manifest reader could not read the manifest/);
  });

  it('the official unified schema refuses what it does not allow', async () => {
    const { unified } = await convertWithOfficeReader(FILLED);
    expect(checkUnifiedSchema(unified!)).toEqual([]);
    // Spam reporting arrived in unified manifest 1.20: the 1.17 schema refuses it.
    expect(checkUnifiedSchema(unified!, '1.17').join('\n')).toMatch(/spamPreProcessingDialog|spamReportingOverride/);
    const damaged = { ...unified!, id: 'not-a-guid' };
    expect(checkUnifiedSchema(damaged).join('\n')).toMatch(/\/id/);
  });
});

describe('filling the template', () => {
  it('needs every value outside the sandbox and checks them', () => {
    expect(() => resolveManifestValues({}, { sandbox: false })).toThrow(ManifestError);
    expect(() => resolveManifestValues({ OUTLOOK_ADDIN_ID: 'x', ENTRA_CLIENT_ID: '00000000-0000-0000-0000-000000000000', PUBLIC_BASE_URL: 'http://school.example' }, { sandbox: false })).toThrow(
      /OUTLOOK_ADDIN_ID "x" is not a GUID[\s\S]*ENTRA_CLIENT_ID is the all-zero GUID[\s\S]*must start with https/,
    );
  });

  it('fills a school\'s values, derives the host name and escapes XML', () => {
    const { values } = resolveManifestValues(
      { OUTLOOK_ADDIN_ID: '6f1c2a9e-3b7d-4c1e-9a51-0d2f8e4b7c63', ENTRA_CLIENT_ID: 'a3d5e7f9-1b2c-4d3e-8f40-5a6b7c8d9e0f', PUBLIC_BASE_URL: 'https://dsl-desk.oakfield.sch.uk:8443/' },
      { sandbox: false },
    );
    expect(values).toMatchObject({ PUBLIC_BASE_URL: 'https://dsl-desk.oakfield.sch.uk:8443', PUBLIC_HOSTNAME: 'dsl-desk.oakfield.sch.uk:8443' });
    const xml = fillManifest(TEMPLATE, values);
    expect(xml).toContain('<Resource>api://dsl-desk.oakfield.sch.uk:8443/a3d5e7f9-1b2c-4d3e-8f40-5a6b7c8d9e0f</Resource>');
    expect(fillManifest('<a b="${{PUBLIC_BASE_URL}}"/>', { ...values, PUBLIC_BASE_URL: 'https://x.test/?a=1&b="2"' })).toBe('<a b="https://x.test/?a=1&amp;b=&quot;2&quot;"/>');
    expect(() => fillManifest('${{NOPE}}', values)).toThrow(/NOPE/);
  });

  it('the file names in the manifest exist in the add-in\'s static files', () => {
    const files = [...FILLED.matchAll(/https:\/\/dsl-desk\.example\/addin\/outlook\/([\w.-]+)"/g)].map((match) => match[1]!);
    expect(files.length).toBeGreaterThan(3);
    for (const file of new Set(files)) {
      if (file.endsWith('.js')) expect(readFileSync(join(ROOT, 'addon', 'outlook', 'src', file.replace(/\.js$/, '.ts')), 'utf8')).toMatch(/\S/);
      else expect(readFileSync(join(ROOT, 'addon', 'outlook', 'static', file), 'utf8')).toMatch(/\S/);
    }
  });
});
