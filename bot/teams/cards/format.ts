/** The display labels are shared by every surface; they live in the domain. */
export * from '../../../src/domain/display-labels.ts';
