/**
 * The request form's "Start at": a browser's `<input type="datetime-local">` sends a wall-clock time without
 * an offset (`2025-06-01T09:30`), and app.js sends the browser's IANA time zone beside it (`Europe/Berlin`;
 * nothing, read as UTC, when scripts are off). This turns the two into the UTC instant core expects, here on
 * the server, so it works the same with or without the script and across daylight-saving changes.
 */

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
/** A value that already says its offset (a script posting the form); the zone is then ignored. */
const WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/i;
const DAY_MS = 86_400_000;

export type ZonedTime = { ok: true; iso: string } | { ok: false; message: string };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter for a zone, or null when the zone is not one this runtime knows. */
function formatterFor(zone: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(zone);
  if (cached) return cached;
  if (zone.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(zone)) return null;
  try {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (formatters.size < 500) formatters.set(zone, formatter);
    return formatter;
  } catch {
    return null;
  }
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(formatter: Intl.DateTimeFormat, ms: number): number {
  const parts = Object.fromEntries(formatter.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const wall = utcOf(Number(parts.year), Number(parts.month), Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second), 0);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** Date.UTC without its two-digit-year quirk. */
function utcOf(year: number, month: number, day: number, hour: number, minute: number, second: number, milli: number): number {
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, milli));
  d.setUTCFullYear(year);
  return d.getTime();
}

/** The fields of a matched value, or null when one is out of range (month 13, 30 February, 24:00). */
function wallClock(m: RegExpExecArray): number | null {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const milli = Number((m[7] ?? '0').padEnd(3, '0'));
  const ms = utcOf(year, month, day, hour, minute, second, milli);
  const d = new Date(ms);
  const same =
    d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day && d.getUTCHours() === hour && d.getUTCMinutes() === minute && d.getUTCSeconds() === second;
  return same ? ms : null;
}

function offsetMs(offset: string): number {
  if (offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
}

/**
 * `value` (a datetime-local value) read as wall-clock time in `zone` (an IANA name; empty: UTC), as an ISO
 * instant in UTC. A time the clocks skip (spring forward) is refused; a time they pass twice (fall back) is
 * the earlier of the two.
 */
export function zonedToUtc(value: string, zone: string): ZonedTime {
  const text = value.trim();
  const explicit = WITH_OFFSET.exec(text);
  if (explicit) {
    const wall = wallClock(explicit);
    const offset = explicit[8]!;
    if (wall === null || Math.abs(offsetMs(offset)) >= DAY_MS) return { ok: false, message: 'Start at is not a valid date and time.' };
    return { ok: true, iso: new Date(wall - offsetMs(offset)).toISOString() };
  }
  const local = LOCAL.exec(text);
  const wall = local ? wallClock(local) : null;
  if (wall === null) return { ok: false, message: 'Start at is not a valid date and time (expected year-month-day and hours:minutes).' };
  const zoneName = zone.trim() || 'UTC';
  const formatter = formatterFor(zoneName);
  if (!formatter) return { ok: false, message: `Start at: unknown time zone "${zoneName.slice(0, 64)}".` };
  // The offsets in force a day either side cover any single clock change near the time.
  const offsets = new Set([offsetAt(formatter, wall - DAY_MS), offsetAt(formatter, wall), offsetAt(formatter, wall + DAY_MS)]);
  const instants = [...offsets].map((o) => wall - o).filter((at) => offsetAt(formatter, at) === wall - at);
  if (instants.length === 0) {
    return { ok: false, message: `Start at ${text.replace('T', ' ').slice(0, 16)} does not exist in ${zoneName} (the clocks go forward then). Pick another time.` };
  }
  return { ok: true, iso: new Date(Math.min(...instants)).toISOString() };
}
