import { foldName, PupilSearchIndex, type SearchablePupil } from '../../../src/domain/pupil-search.ts';

const pupils: SearchablePupil[] = [
  { id: 'p1', legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', yearGroup: '5', registrationGroup: '5G' },
  { id: 'p2', legalForename: 'Gwenllian', legalSurname: 'Ŵyn', registrationGroup: '3W' },
  { id: 'p3', legalForename: 'Ahmed', legalSurname: 'Samuels', yearGroup: '6' },
  { id: 'p4', legalForename: 'Zoë', legalSurname: 'Brontë-Ellis', preferredSurname: 'Ellis' },
  { id: 'p5', legalForename: 'Samir', legalSurname: 'Patel' },
];

describe('the pupil search index', () => {
  const index = new PupilSearchIndex(pupils);

  test('answers what a picker shows: the preferred name, year and group, and nothing else', () => {
    expect(index.search('sam gr')).toEqual([{ id: 'p1', name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' }]);
  });

  test('matches preferred and legal names, whatever the case and accents', () => {
    expect(index.search('SAMANTHA').map((c) => c.id)).toEqual(['p1']);
    expect(index.search('gwen wyn').map((c) => c.name)).toEqual(['Gwenllian Ŵyn']);
    expect(index.search('zoe bronte').map((c) => c.name)).toEqual(['Zoë Ellis']);
    expect(index.search('ŵy').map((c) => c.id)).toEqual(['p2']);
  });

  test('ranks a name that starts with what was typed before one where a later name does', () => {
    // Sam Green and Samir Patel start with "sam"; Ahmed Samuels only by his surname.
    expect(index.search('sam').map((c) => c.id)).toEqual(['p1', 'p5', 'p3']);
  });

  test('needs two letters, and keeps to the limit', () => {
    expect(index.search('s')).toEqual([]);
    expect(index.search(' - ')).toEqual([]);
    expect(index.search('sam', 1).map((c) => c.id)).toEqual(['p1']);
  });

  test('folds Welsh and other accented letters to their plain form', () => {
    expect(foldName('Ŵyn Ŷr Siân')).toBe('wyn yr sian');
  });
});
