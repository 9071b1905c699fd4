import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import {
  caseActionSchema,
  caseDetailSchema,
  caseListSchema,
  caseQuerySchema,
  errorSchema,
  meSchema,
  myReportSchema,
  personInputSchema,
  personSchema,
  reportReceiptSchema,
  reportRequestSchema,
  roleParamsSchema,
} from './schemas.ts';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const errors = {
  '400': { description: 'The request has problems; `fields` says what to fix.', ...json(errorSchema) },
  '401': { description: 'Not signed in, or the token was refused.', ...json(errorSchema) },
  '404': { description: 'Not found, or not yours to see.', ...json(errorSchema) },
  '429': { description: 'Too many requests; retry after the Retry-After header.', ...json(errorSchema) },
};
const caseIdParam = z.strictObject({ caseId: z.string().meta({ description: 'The case id, or its reference such as CASE-2026-0042.' }) });

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'DSL Desk API',
      version: '1.0.0',
      description: 'Staff report safeguarding and online-safety concerns; DSLs triage them. Every request needs an Entra ID or Google bearer token.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/me': { get: { summary: 'Who am I, in which school, with which roles', responses: { '200': { description: 'The signed-in person.', ...json(meSchema) }, ...errors } } },
      '/api/v1/incident-types': { get: { summary: 'Incident types, protocols, agencies and actions, for forms', responses: { '200': { description: 'The lists.' }, ...errors } } },
      '/api/v1/reports': {
        post: {
          summary: 'Report a concern',
          requestParams: { header: z.object({ 'Idempotency-Key': z.string().optional().meta({ description: 'Repeats with the same key return the first receipt.' }) }) },
          requestBody: json(reportRequestSchema),
          responses: {
            '201': { description: 'The report was filed.', ...json(reportReceiptSchema) },
            '200': { description: 'A repeat of an earlier request: the first receipt.', ...json(reportReceiptSchema) },
            ...errors,
          },
        },
      },
      '/api/v1/reports/mine': {
        get: { summary: 'My reports, status only', responses: { '200': { description: 'My reports.', ...json(z.object({ reports: z.array(myReportSchema) })) }, ...errors } },
      },
      '/api/v1/cases': {
        get: { summary: 'List cases (DSL roles; IT sees email-security cases)', requestParams: { query: caseQuerySchema }, responses: { '200': { description: 'A page of cases.', ...json(caseListSchema) }, ...errors } },
      },
      '/api/v1/cases/{caseId}': {
        get: { summary: 'Open a case (recorded in the audit log)', requestParams: { path: caseIdParam }, responses: { '200': { description: 'The case.', ...json(caseDetailSchema) }, ...errors } },
      },
      '/api/v1/cases/{caseId}/actions': {
        post: {
          summary: 'Act on a case',
          requestParams: { path: caseIdParam },
          requestBody: json(caseActionSchema),
          responses: { '200': { description: 'The case after the action.', ...json(caseDetailSchema) }, '409': { description: 'Not allowed in the case’s current state.', ...json(errorSchema) }, ...errors },
        },
      },
      '/api/v1/people': {
        get: { summary: "The school's people and roles (admins)", responses: { '200': { description: 'People.', ...json(z.object({ people: z.array(personSchema) })) }, ...errors } },
        post: { summary: 'Add or update a person (admins)', requestBody: json(personInputSchema), responses: { '201': { description: 'Added.', ...json(personSchema) }, '200': { description: 'Updated.', ...json(personSchema) }, ...errors } },
      },
      '/api/v1/people/{personId}/roles/{role}': {
        put: { summary: 'Grant a role (admins)', requestParams: { path: roleParamsSchema }, responses: { '200': { description: 'The person.', ...json(personSchema) }, ...errors } },
        delete: { summary: 'Revoke a role (admins)', requestParams: { path: roleParamsSchema }, responses: { '200': { description: 'The person.', ...json(personSchema) }, ...errors } },
      },
    },
  });
}
