import { z } from 'zod';
import { quoted } from './limits.js';

/**
 * The scheduled jobs of a connection: `orders` (fetch and send orders), `stock`
 * (fetch what changed in the catalog and send pending product changes, stock and
 * prices included) and `catalog` (a full rescan of the catalog, which also notices
 * products gone, then send). `catalog` is the heavy one.
 */
export const SCHEDULE_ENTRIES = ['orders', 'stock', 'catalog'] as const;
export type ScheduleEntryName = (typeof SCHEDULE_ENTRIES)[number];

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_INTERVAL_MS = 31 * UNITS.d;

/**
 * An interval such as `30s`, `5m`, `8h`, `1d` or `1h30m`, in milliseconds; null when unreadable.
 *
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(s)) return null;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) ms += Number(m[1]) * UNITS[m[2]];
  return Math.round(ms);
}

const DURATION_HELP = 'write a number and a unit (s, m, h, d), e.g. 30s, 5m, 8h or 1d';

const Duration = z.string({ error: `must be a string: ${DURATION_HELP}` }).superRefine((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) ctx.addIssue({ code: 'custom', message: `${quoted(v)} is not an interval: ${DURATION_HELP}` });
  else if (ms < 1000) ctx.addIssue({ code: 'custom', message: `${quoted(v)} is too short: the shortest interval is 1s` });
  else if (ms > MAX_INTERVAL_MS) ctx.addIssue({ code: 'custom', message: `${quoted(v)} is too long: the longest interval is 31d` });
});

/** A parsed five-field cron expression: the allowed values of each field. */
export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Both day fields restricted: a day matches when either does (as cron does). */
  dayOr: boolean;
  anyDay: boolean;
  anyWeekday: boolean;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@weekly': '0 0 * * 0', '@monthly': '0 0 1 * *',
};
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, offset: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, offset: 0 },
] as const;

/**
 * Parses a cron expression (minute hour day-of-month month day-of-week, with `*`,
 * lists, ranges, steps, month and day names, and @hourly/@daily/@weekly/@monthly).
 *
 * @example parseCron('*\/15 8-18 * * mon-fri') // every quarter hour in office hours
 */
export function parseCron(expr: string): { ok: true; cron: Cron } | { ok: false; message: string } {
  const text = MACROS[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    return { ok: false, message: `${quoted(expr)} has ${parts.length} field${parts.length === 1 ? '' : 's'}; a cron expression has 5: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *"` };
  }
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i];
    const set = new Set<number>();
    for (const item of parts[i].toLowerCase().split(',')) {
      const m = item.match(/^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/);
      if (!m) return { ok: false, message: `the ${f.name} field ${quoted(parts[i])} of ${quoted(expr)} is not valid` };
      const value = (v: string): number | null => {
        if (/^\d+$/.test(v)) return Number(v);
        const names = 'names' in f ? f.names : undefined;
        const idx = names ? (names as readonly string[]).indexOf(v) : -1;
        return idx >= 0 ? idx + ('offset' in f ? f.offset : 0) : null;
      };
      let lo: number = f.min;
      let hi: number = f.max;
      if (m[1] !== '*') {
        const [a, b] = m[1].split('-');
        const va = value(a);
        const vb = b === undefined ? (m[2] ? f.max : va) : value(b);
        if (va === null || vb === null) return { ok: false, message: `the ${f.name} field ${quoted(parts[i])} of ${quoted(expr)} has an unknown value` };
        lo = va;
        hi = vb;
      }
      const step = m[2] ? Number(m[2]) : 1;
      if (lo < f.min || hi > f.max || lo > hi || step < 1) {
        return { ok: false, message: `the ${f.name} field ${quoted(parts[i])} of ${quoted(expr)} is out of range (${f.min}-${f.max})` };
      }
      for (let v = lo; v <= hi; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    sets.push(set);
  }
  const anyDay = parts[2] === '*';
  const anyWeekday = parts[4] === '*';
  return {
    ok: true,
    cron: { minutes: sets[0], hours: sets[1], days: sets[2], months: sets[3], weekdays: sets[4], dayOr: !anyDay && !anyWeekday, anyDay, anyWeekday },
  };
}

const CronText = z.string({ error: 'must be a string: a cron expression such as "*/15 * * * *"' }).superRefine((v, ctx) => {
  const parsed = parseCron(v);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, e.g. 01:00');

const TimeZone = z.string().superRefine((v, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
  } catch {
    ctx.addIssue({ code: 'custom', message: `${quoted(v)} is not a time zone: use an IANA name such as UTC or Europe/Amsterdam` });
  }
});

function entry(every: string, quietHoursOnly: boolean) {
  return z.object({
    enabled: z.boolean().default(true),
    /** Runs this long after the previous run started. */
    every: Duration.nullable().default(every),
    /** Overrides `every`: runs at the times this cron expression names, in the schedule's time zone. */
    cron: CronText.nullable().default(null),
    /** Starts only inside the quiet hours (when the schedule has quiet hours). */
    quietHoursOnly: z.boolean().default(quietHoursOnly),
  }).strict().superRefine((e, ctx) => {
    if (e.enabled && e.every === null && e.cron === null) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'set an interval (every) or a cron expression, or set enabled to false' });
    }
  });
}

export const SCHEDULE_DEFAULTS = {
  orders: { every: '5m', quietHoursOnly: false },
  stock: { every: '5m', quietHoursOnly: false },
  catalog: { every: '8h', quietHoursOnly: true },
} as const;

const entryDefault = (name: ScheduleEntryName) => ({ enabled: true, every: SCHEDULE_DEFAULTS[name].every, cron: null, quietHoursOnly: SCHEDULE_DEFAULTS[name].quietHoursOnly });

/**
 * When a connection's jobs run by themselves. Defaults: orders and stock every 5
 * minutes, the full catalog every 8 hours; no quiet hours (so the catalog runs at
 * any hour until quiet hours are set).
 *
 * @example
 * Schedule.parse({ quietHours: { from: '01:00', to: '05:00' }, timezone: 'Europe/Amsterdam', orders: { every: '2m' } })
 */
export const Schedule = z.object({
  enabled: z.boolean().default(true),
  timezone: TimeZone.default('UTC'),
  /** The window heavy jobs are kept to, in `timezone`; it may span midnight (22:00 to 06:00). */
  quietHours: z.object({ from: TimeOfDay, to: TimeOfDay }).strict()
    .refine((q) => q.from !== q.to, { message: 'from and to must differ', path: ['to'] })
    .nullable().default(null),
  orders: entry(SCHEDULE_DEFAULTS.orders.every, SCHEDULE_DEFAULTS.orders.quietHoursOnly).default(entryDefault('orders')),
  stock: entry(SCHEDULE_DEFAULTS.stock.every, SCHEDULE_DEFAULTS.stock.quietHoursOnly).default(entryDefault('stock')),
  catalog: entry(SCHEDULE_DEFAULTS.catalog.every, SCHEDULE_DEFAULTS.catalog.quietHoursOnly).default(entryDefault('catalog')),
}).strict();
export type Schedule = z.infer<typeof Schedule>;
export type ScheduleEntry = Schedule[ScheduleEntryName];

export const DEFAULT_SCHEDULE: Schedule = Schedule.parse({});

// Time in a time zone, without a library: Intl gives the local wall clock of an instant.
const formatters = new Map<string, Intl.DateTimeFormat>();
interface LocalTime { month: number; day: number; weekday: number; hour: number; minute: number }

/** The wall clock of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(at)) p[part.type] = part.value;
  return {
    month: Number(p.month), day: Number(p.day), weekday: DAY_NAMES.indexOf(p.weekday.toLowerCase().slice(0, 3)),
    hour: Number(p.hour), minute: Number(p.minute),
  };
}

const MINUTE = 60_000;

/**
 * The first minute strictly after `after` that `cron` names, in `timeZone`. Walks
 * forward skipping whole days and hours that cannot match, so it is quick even for
 * rare expressions; a daylight-saving gap simply has no matching minutes.
 */
export function nextCron(cron: Cron, after: Date, timeZone: string): Date {
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const limit = t + 5 * 366 * 86_400_000;
  while (t < limit) {
    const l = localTime(new Date(t), timeZone);
    const dayOk = cron.dayOr
      ? cron.days.has(l.day) || cron.weekdays.has(l.weekday)
      : (cron.anyDay || cron.days.has(l.day)) && (cron.anyWeekday || cron.weekdays.has(l.weekday));
    if (!cron.months.has(l.month) || !dayOk) {
      t += (24 * 60 - (l.hour * 60 + l.minute)) * MINUTE;
    } else if (!cron.hours.has(l.hour)) {
      t += (60 - l.minute) * MINUTE;
    } else if (!cron.minutes.has(l.minute)) {
      let m = l.minute + 1;
      while (m < 60 && !cron.minutes.has(m)) m++;
      t += (m - l.minute) * MINUTE;
    } else {
      return new Date(t);
    }
  }
  throw new Error('The cron expression names no time in the next five years');
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls inside the quiet hours (from included, to excluded; a window may span midnight). */
export function inQuietHours(at: Date, quiet: { from: string; to: string }, timeZone: string): boolean {
  const l = localTime(at, timeZone);
  const now = l.hour * 60 + l.minute;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/** `at` itself when inside the quiet hours, else when they next begin. */
export function nextQuietStart(at: Date, quiet: { from: string; to: string }, timeZone: string): Date {
  if (inQuietHours(at, quiet, timeZone)) return at;
  const from = minutesOf(quiet.from);
  const cron = parseCron(`${from % 60} ${Math.floor(from / 60)} * * *`);
  return nextCron((cron as { ok: true; cron: Cron }).cron, at, timeZone);
}

/** Whether the entry may only start within the quiet hours of this schedule. */
export function confinedToQuietHours(schedule: Schedule, name: ScheduleEntryName): boolean {
  return schedule.quietHours !== null && schedule[name].quietHoursOnly;
}

/**
 * When an entry runs next: `every` after `from` (the last start, or now for a new
 * schedule), or the cron expression's next time; a quiet-hours entry is moved to
 * the next quiet window.
 *
 * @example nextRunTime(DEFAULT_SCHEDULE, 'orders', new Date('2026-01-01T10:00:00Z')) // 10:05
 */
export function nextRunTime(schedule: Schedule, name: ScheduleEntryName, from: Date): Date {
  const e = schedule[name];
  let next: Date;
  if (e.cron !== null) {
    next = nextCron((parseCron(e.cron) as { ok: true; cron: Cron }).cron, from, schedule.timezone);
  } else {
    next = new Date(from.getTime() + parseDuration(e.every!)!);
  }
  if (confinedToQuietHours(schedule, name)) next = nextQuietStart(next, schedule.quietHours!, schedule.timezone);
  return next;
}

/** What a change of settings must recompute the next run for: the fields that decide it. */
export function scheduleSpec(schedule: Schedule, name: ScheduleEntryName): string {
  const e = schedule[name];
  return JSON.stringify([e.every, e.cron, confinedToQuietHours(schedule, name) ? schedule.quietHours : null, schedule.timezone]);
}
