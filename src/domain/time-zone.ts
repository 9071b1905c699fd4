/**
 * The one default time zone. Every date DSL Desk shows is in the school's own zone (`School.timeZone`, set
 * with `school add --time-zone`); this is only what a school gets when it does not say, and what a surface
 * uses when it has no school to ask.
 */
export const DEFAULT_TIME_ZONE = 'Europe/London';
