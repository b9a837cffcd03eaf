import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCHEDULE, inQuietHours, nextCron, nextQuietStart, nextRunTime, parseCron, parseDuration, Schedule, scheduleSpec,
  type Cron,
} from '../src/model/schedule.js';
import { ConnectionSettings } from '../src/model/settings.js';

const at = (iso: string) => new Date(iso);
const cron = (expr: string): Cron => {
  const parsed = parseCron(expr);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cron;
};

describe('intervals', () => {
  it('reads a number and a unit, and combinations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('8h')).toBe(28_800_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(' 2M ')).toBe(120_000);
    expect(parseDuration('5 minutes')).toBeNull();
    expect(parseDuration('5')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });
});

describe('cron expressions', () => {
  it('finds the next minute an expression names', () => {
    expect(nextCron(cron('*/15 * * * *'), at('2026-03-10T10:07:30Z'), 'UTC').toISOString()).toBe('2026-03-10T10:15:00.000Z');
    expect(nextCron(cron('*/15 * * * *'), at('2026-03-10T10:15:00Z'), 'UTC').toISOString()).toBe('2026-03-10T10:30:00.000Z');
    expect(nextCron(cron('0 3 * * *'), at('2026-03-10T10:00:00Z'), 'UTC').toISOString()).toBe('2026-03-11T03:00:00.000Z');
    // Office hours on weekdays: Friday evening -> Monday 08:00 (2026-03-13 is a Friday).
    expect(nextCron(cron('0 8-18 * * mon-fri'), at('2026-03-13T19:00:00Z'), 'UTC').toISOString()).toBe('2026-03-16T08:00:00.000Z');
    expect(nextCron(cron('30 2 1 jan,jul *'), at('2026-03-10T00:00:00Z'), 'UTC').toISOString()).toBe('2026-07-01T02:30:00.000Z');
    expect(nextCron(cron('@daily'), at('2026-03-10T23:59:00Z'), 'UTC').toISOString()).toBe('2026-03-11T00:00:00.000Z');
    // Day of month OR day of week when both are given, as cron does: the 1st, or any Sunday.
    expect(nextCron(cron('0 0 1 * sun'), at('2026-03-10T00:00:00Z'), 'UTC').toISOString()).toBe('2026-03-15T00:00:00.000Z');
    expect(nextCron(cron('0 0 29 2 *'), at('2026-03-01T00:00:00Z'), 'UTC').toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('reads times in the schedule time zone, across daylight-saving changes', () => {
    // 03:00 in Amsterdam is 02:00 UTC in winter and 01:00 UTC in summer (clocks went forward on 2026-03-29).
    expect(nextCron(cron('0 3 * * *'), at('2026-03-27T12:00:00Z'), 'Europe/Amsterdam').toISOString()).toBe('2026-03-28T02:00:00.000Z');
    expect(nextCron(cron('0 3 * * *'), at('2026-03-28T12:00:00Z'), 'Europe/Amsterdam').toISOString()).toBe('2026-03-29T01:00:00.000Z');
    // 02:30 does not exist in Amsterdam on 2026-03-29: the next one is the day after.
    expect(nextCron(cron('30 2 * * *'), at('2026-03-28T12:00:00Z'), 'Europe/Amsterdam').toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });

  it('says which field is wrong', () => {
    expect(parseCron('* * * *')).toMatchObject({ ok: false, message: expect.stringMatching(/has 4 fields; a cron expression has 5/) });
    expect(parseCron('61 * * * *')).toMatchObject({ ok: false, message: expect.stringMatching(/minute field "61".*out of range \(0-59\)/) });
    expect(parseCron('0 0 * * funday')).toMatchObject({ ok: false, message: expect.stringMatching(/day of week field "funday"/) });
    expect(parseCron('*/0 * * * *')).toMatchObject({ ok: false });
    expect(parseCron('0 0 * * 7')).toMatchObject({ ok: true });
  });
});

describe('quiet hours', () => {
  const night = { from: '22:00', to: '06:00' };
  const early = { from: '01:00', to: '05:00' };

  it('holds inside the window, which may span midnight', () => {
    expect(inQuietHours(at('2026-03-10T23:30:00Z'), night, 'UTC')).toBe(true);
    expect(inQuietHours(at('2026-03-10T05:59:00Z'), night, 'UTC')).toBe(true);
    expect(inQuietHours(at('2026-03-10T06:00:00Z'), night, 'UTC')).toBe(false);
    expect(inQuietHours(at('2026-03-10T12:00:00Z'), night, 'UTC')).toBe(false);
    expect(inQuietHours(at('2026-03-10T01:00:00Z'), early, 'UTC')).toBe(true);
    expect(inQuietHours(at('2026-03-10T00:59:00Z'), early, 'UTC')).toBe(false);
    // 01:30 in New York is 06:30 UTC in March (after the switch to summer time on 2026-03-08).
    expect(inQuietHours(at('2026-03-10T06:30:00Z'), early, 'America/New_York')).toBe(true);
  });

  it('moves a heavy job due outside them to the next window', () => {
    expect(nextQuietStart(at('2026-03-10T12:00:00Z'), early, 'UTC').toISOString()).toBe('2026-03-11T01:00:00.000Z');
    expect(nextQuietStart(at('2026-03-10T02:00:00Z'), early, 'UTC').toISOString()).toBe('2026-03-10T02:00:00.000Z');
    const schedule = Schedule.parse({ quietHours: early, catalog: { every: '1h' } });
    // Every hour, kept to 01:00-05:00: 04:30 -> 05:30 is outside -> next night at 01:00.
    expect(nextRunTime(schedule, 'catalog', at('2026-03-10T04:30:00Z')).toISOString()).toBe('2026-03-11T01:00:00.000Z');
    expect(nextRunTime(schedule, 'catalog', at('2026-03-10T01:00:00Z')).toISOString()).toBe('2026-03-10T02:00:00.000Z');
    // Orders are not heavy: every 5 minutes at any hour.
    expect(nextRunTime(schedule, 'orders', at('2026-03-10T12:00:00Z')).toISOString()).toBe('2026-03-10T12:05:00.000Z');
  });
});

describe('schedule settings', () => {
  it('has defaults a merchant accepts: orders and stock every 5 minutes, the catalog every 8 hours', () => {
    expect(DEFAULT_SCHEDULE).toEqual({
      enabled: true, timezone: 'UTC', quietHours: null,
      orders: { enabled: true, every: '5m', cron: null, quietHoursOnly: false },
      stock: { enabled: true, every: '5m', cron: null, quietHoursOnly: false },
      catalog: { enabled: true, every: '8h', cron: null, quietHoursOnly: true },
    });
    expect(ConnectionSettings.parse({}).schedule).toEqual(DEFAULT_SCHEDULE);
    const now = at('2026-03-10T10:00:00Z');
    expect(nextRunTime(DEFAULT_SCHEDULE, 'orders', now).toISOString()).toBe('2026-03-10T10:05:00.000Z');
    expect(nextRunTime(DEFAULT_SCHEDULE, 'catalog', now).toISOString()).toBe('2026-03-10T18:00:00.000Z');
  });

  it('takes a cron override over the interval', () => {
    const s = Schedule.parse({ orders: { cron: '*/2 * * * *' } });
    expect(s.orders.every).toBe('5m');
    expect(nextRunTime(s, 'orders', at('2026-03-10T10:01:00Z')).toISOString()).toBe('2026-03-10T10:02:00.000Z');
    expect(scheduleSpec(s, 'orders')).not.toBe(scheduleSpec(DEFAULT_SCHEDULE, 'orders'));
  });

  it('names the field that is wrong', () => {
    const problem = (input: unknown) => {
      const r = ConnectionSettings.safeParse({ schedule: input });
      if (r.success) return null;
      return { path: r.error.issues[0].path.join('.'), message: r.error.issues[0].message };
    };
    expect(problem({ orders: { every: '5 minutes' } })).toEqual({
      path: 'schedule.orders.every', message: '"5 minutes" is not an interval: write a number and a unit (s, m, h, d), e.g. 30s, 5m, 8h or 1d',
    });
    expect(problem({ stock: { every: '500ms' } })?.path).toBe('schedule.stock.every');
    expect(problem({ catalog: { cron: '0 25 * * *' } })).toMatchObject({ path: 'schedule.catalog.cron', message: expect.stringMatching(/hour field "25"/) });
    expect(problem({ quietHours: { from: '1am', to: '05:00' } })).toMatchObject({ path: 'schedule.quietHours.from', message: expect.stringMatching(/HH:MM/) });
    expect(problem({ timezone: 'Mars/Olympus' })).toMatchObject({ path: 'schedule.timezone', message: expect.stringMatching(/not a time zone/) });
    expect(problem({ orders: { every: null } })).toMatchObject({ path: 'schedule.orders.every', message: expect.stringMatching(/set an interval/) });
    expect(problem({ orders: { every: null, enabled: false } })).toBeNull();
    expect(problem({ weekly: true })?.path).toBe('schedule');
  });
});
