import { addSchool } from '../../src/app/organisations/add-school.ts';
import { schoolDayOf, defaultAupSettings } from '../../src/app/aup/aup-context.ts';
import { readSchoolTimeZone } from '../../src/app/organisations/read-school-time-zone.ts';
import { isWorkingDay } from '../../src/domain/school-calendar.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';
import { depsFor } from '../support/seed.ts';

describe.each(enginesUnderTest())('school region and time zone on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('the school’s time zone and holidays: the region is a school setting, England by default, and chooses the bank holidays', async () => {
    const deps = depsFor(db.storage);
    const english = await addSchool(deps, { name: 'Oakfield Primary', slug: 'oakfield' });
    const scottish = await addSchool(deps, { name: 'Glen Primary', slug: 'glen', region: 'scotland', timeZone: 'europe/london' });
    await expect(addSchool(deps, { name: 'Nowhere', slug: 'nowhere', region: 'narnia' })).rejects.toMatchObject({ code: 'invalid_input' });
    const read = async (id: string) => (await db.storage.read((r) => r.schools.get(id)))!;
    expect((await read(english.id)).region).toBe('england');
    expect((await read(scottish.id)).region).toBe('scotland');
    expect(await readSchoolTimeZone(deps, { schoolId: scottish.id })).toBe('Europe/London');
    const settings = defaultAupSettings();
    expect(isWorkingDay('2026-08-03', schoolDayOf(await read(english.id), settings))).toBe(true);
    expect(isWorkingDay('2026-08-03', schoolDayOf(await read(scottish.id), settings))).toBe(false);
    expect(isWorkingDay('2026-05-25', schoolDayOf(await read(english.id), settings))).toBe(false);
  });
});
