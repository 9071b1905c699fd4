import { addCaseNote, changeCaseUrgency, closeCase, recordActionTaken } from '../../../src/domain/case.ts';
import { applied, at, makeCase, people } from './builders.ts';

describe('any DSL work on a new case acknowledges it', () => {
  test('a note moves new → acknowledged and records who', () => {
    const { next } = applied(addCaseNote(makeCase(), people.dsl, { id: 'n1', text: 'Seen, will call parents' }, at(5)));
    expect(next.status).toBe('acknowledged');
    expect(next.acknowledgedById).toBe(people.dsl.personId);
    expect(next.acknowledgedAt).toBe(at(5));
  });

  test('an urgency change moves new → acknowledged', () => {
    const { next } = applied(changeCaseUrgency(makeCase(), people.deputy, { urgency: 'urgent', reason: 'Older pupil involved' }, at(6)));
    expect(next.status).toBe('acknowledged');
    expect(next.acknowledgedById).toBe(people.deputy.personId);
  });

  test('an action recorded after closing keeps the case closed', () => {
    const closed = applied(closeCase(makeCase(), people.dsl, { summary: 'Resolved with parents' }, at(7))).next;
    const { next } = applied(recordActionTaken(closed, people.dsl, 'parents_informed', at(8)));
    expect(next.status).toBe('closed');
    expect(next.actionsTaken).toHaveLength(1);
  });
});
