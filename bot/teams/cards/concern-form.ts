/** Reading the concern form is the same for every surface; it lives in the domain. */
export * from '../../../src/domain/concern-form.ts';
