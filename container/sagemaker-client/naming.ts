/**
 * SageMaker resource names: `[a-zA-Z0-9](-*[a-zA-Z0-9])*`, at most 63 characters (32 for
 * tuning jobs). Names get a UTC time stamp so that repeated runs never collide.
 */

export function sanitizeName(base: string): string {
  const cleaned = base
    .replace(/[^a-zA-Z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'byoc' : cleaned;
}

/** `base-YYYYMMDD-HHMMSS` (UTC), cut to `maxLength` by shortening `base`. */
export function uniqueName(base: string, now: Date, maxLength = 63): string {
  const iso = now.toISOString(); // 2026-11-25T04:30:12.345Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const room = maxLength - stamp.length - 1;
  if (room < 1) throw new Error(`uniqueName: maxLength ${maxLength} is too small`);
  const prefix = sanitizeName(base).slice(0, room).replace(/-+$/, '');
  return `${prefix || 'b'}-${stamp}`;
}

/** Tuning job names may have at most 32 characters. */
export const TUNING_JOB_NAME_MAX = 32;
