import { DEFAULT_TIME_ZONE } from '../../domain/time-zone.ts';
import type { AppDeps } from '../deps.ts';

/** The school's time zone, from its settings: surfaces read and show dates and times in it. */
export async function readSchoolTimeZone(deps: Pick<AppDeps, 'storage'>, options: { schoolId: string }): Promise<string> {
  const school = await deps.storage.read((reader) => reader.schools.get(options.schoolId));
  return school?.timeZone ?? DEFAULT_TIME_ZONE;
}
