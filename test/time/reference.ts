/**
 * The brute-force reference the schedules are tested against. It shares no
 * code with src/time: offsets come from Intl's "longOffset" names (not the
 * formatToParts arithmetic of zone.ts), cron fields are matched from a
 * structured form (not parsed by croner), and DST rules are applied by
 * walking every second of real time and watching the wall clock.
 */
import fc from "fast-check";

const MINUTE = 60_000;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

/** UTC offset (ms) at an instant; read once per minute (tz transitions fall on whole minutes since 1970). */
export function referenceOffset(zone: string, instant: number): number {
  const minute = Math.floor(instant / MINUTE) * MINUTE;
  const key = `${zone}@${minute}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  let format = offsetFormatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "longOffset" });
    offsetFormatters.set(zone, format);
  }
  const name = format.formatToParts(new Date(minute)).find((part) => part.type === "timeZoneName")?.value ?? "GMT";
  const match = /GMT(?:([+-])(\d{2}):(\d{2}))?/.exec(name);
  const offset = match?.[1] === undefined ? 0 : (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * MINUTE;
  if (offsetCache.size > 200_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/**
 * Every slot in (from, to]: walk each second of real time from three hours
 * earlier (to see a wall time's first occurrence), and take an instant when
 * its wall time matches for the first time, or when the wall clock just
 * jumped over a matching time (a gap: the slot runs at the first instant
 * after it).
 */
export function bruteSlots(matches: (wall: number) => boolean, zone: string, from: number, to: number): number[] {
  const slots: number[] = [];
  const seen = new Set<number>();
  const begin = Math.floor(from / 1000) * 1000 - 3 * 3_600_000;
  let previousWall: number | undefined;
  for (let t = begin; t <= to; t += 1000) {
    const wall = t + referenceOffset(zone, t);
    let hit = matches(wall) && !seen.has(wall);
    if (previousWall !== undefined && wall > previousWall + 1000) {
      for (let skipped = previousWall + 1000; skipped < wall && !hit; skipped += 1000) hit = matches(skipped);
    }
    seen.add(wall);
    previousWall = wall;
    if (hit && t > from) slots.push(t);
  }
  return slots;
}

// ---- cron fields in structured form ---------------------------------------

type Item =
  | { kind: "any" }
  | { kind: "value"; value: number }
  | { kind: "range"; low: number; high: number }
  | { kind: "step"; low?: number; high?: number; step: number };

export interface FieldSpec {
  text: string;
  /** Starts with * or ? (Vixie's "star" for the day fields). */
  star: boolean;
  /** Exactly * or ?. */
  all: boolean;
  test: (value: number, date: Date) => boolean;
}

const render = (item: Item, names?: string[]): string => {
  const name = (value: number): string => names?.[value] ?? String(value);
  switch (item.kind) {
    case "any":
      return "*";
    case "value":
      return name(item.value);
    case "range":
      return `${name(item.low)}-${name(item.high)}`;
    case "step":
      return item.low === undefined ? `*/${item.step}` : `${item.low}-${item.high}/${item.step}`;
  }
};

const inItem = (item: Item, value: number, min: number, max: number): boolean => {
  switch (item.kind) {
    case "any":
      return true;
    case "value":
      return value === item.value;
    case "range":
      return value >= item.low && value <= item.high;
    case "step": {
      const low = item.low ?? min;
      const high = item.high ?? max;
      return value >= low && value <= high && (value - low) % item.step === 0;
    }
  }
};

function itemArb(min: number, max: number): fc.Arbitrary<Item> {
  const value = fc.integer({ min, max });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<Item>({ kind: "any" }) },
    { weight: 3, arbitrary: value.map((v): Item => ({ kind: "value", value: v })) },
    { weight: 2, arbitrary: fc.tuple(value, value).map(([a, b]): Item => ({ kind: "range", low: Math.min(a, b), high: Math.max(a, b) })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.floor((max - min) / 2)) }).map((step): Item => ({ kind: "step", step })) },
    {
      weight: 1,
      arbitrary: fc.tuple(value, value, fc.integer({ min: 1, max: 7 })).map(
        ([a, b, step]): Item => ({ kind: "step", low: Math.min(a, b), high: Math.max(a, b), step }),
      ),
    },
  );
}

/** A numeric field: one item or a list of value/range items. */
export function fieldArb(min: number, max: number, names?: string[]): fc.Arbitrary<FieldSpec> {
  return fc.oneof(itemArb(min, max).map((item) => [item]), fc.array(itemArb(min, max).filter((i) => i.kind === "value" || i.kind === "range"), { minLength: 2, maxLength: 3 }))
    .map((items) => {
      const text = items.map((item) => render(item, names)).join(",");
      return {
        text,
        star: text.startsWith("*"),
        all: text === "*",
        test: (value: number) => items.some((item) => inItem(item, value, min, max)),
      };
    });
}

const daysIn = (date: Date): number => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
const weekday = (date: Date, day: number): number => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), day)).getUTCDay();

/** The weekday (Mon-Fri) nearest a day, within its month; undefined when the month is shorter. */
function nearestWeekday(date: Date, day: number): number | undefined {
  const last = daysIn(date);
  if (day > last) return undefined;
  const dow = weekday(date, day);
  if (dow === 6) return day === 1 ? 3 : day - 1;
  if (dow === 0) return day === last ? day - 2 : day + 1;
  return day;
}

export const special = (text: string, test: (value: number, date: Date) => boolean): FieldSpec => ({ text, star: false, all: false, test });

export const domSpecials: fc.Arbitrary<FieldSpec> = fc.oneof(
  fc.constant(special("L", (day, date) => day === daysIn(date))),
  fc.constant(
    special("LW", (day, date) => {
      let last = daysIn(date);
      while (weekday(date, last) === 0 || weekday(date, last) === 6) last--;
      return day === last;
    }),
  ),
  fc.integer({ min: 1, max: 31 }).map((n) => special(`${n}W`, (day, date) => day === nearestWeekday(date, n))),
  fc.constant({ text: "?", star: true, all: true, test: () => true }),
);

const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/** Day-of-week specials: their test gets the weekday, and reads the day of month from the date. */
export const dowSpecials: fc.Arbitrary<FieldSpec> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.boolean()).map(([dow, nth, named]) =>
    special(`${named ? DAY_NAMES[dow] : dow}#${nth}`, (weekdayNow, date) => weekdayNow === dow && Math.ceil(date.getUTCDate() / 7) === nth),
  ),
  fc.integer({ min: 0, max: 6 }).map((dow) =>
    special(`${dow}L`, (weekdayNow, date) => weekdayNow === dow && date.getUTCDate() + 7 > daysIn(date)),
  ),
  fc.constant({ text: "?", star: true, all: true, test: () => true }),
  fc.constant(special("7", (weekdayNow) => weekdayNow === 0)),
);

export interface CronSpec {
  text: string;
  matches: (wall: number) => boolean;
}

/** A cron expression from fields, matched the way Vixie cron combines the day fields. */
export function cronOf(fields: { second?: FieldSpec; minute: FieldSpec; hour: FieldSpec; dom: FieldSpec; month: FieldSpec; dow: FieldSpec }): CronSpec {
  const { second, minute, hour, dom, month, dow } = fields;
  const text = [second?.text, minute.text, hour.text, dom.text, month.text, dow.text].filter((part) => part !== undefined).join(" ");
  const dayMatches = (date: Date): boolean => {
    const day = date.getUTCDate();
    const domHit = dom.test(day, date);
    const dowHit = dow.test(date.getUTCDay(), date);
    if (dom.all) return dowHit;
    if (dow.all) return domHit;
    return dom.star || dow.star ? domHit && dowHit : domHit || dowHit;
  };
  return {
    text,
    matches: (wall) => {
      const date = new Date(wall);
      if (second === undefined ? date.getUTCSeconds() !== 0 : !second.test(date.getUTCSeconds(), date)) return false;
      return (
        minute.test(date.getUTCMinutes(), date) &&
        hour.test(date.getUTCHours(), date) &&
        month.test(date.getUTCMonth() + 1, date) &&
        dayMatches(date)
      );
    },
  };
}

export const MONTH_NAMES = ["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
export { DAY_NAMES };

/** Collect a schedule's slots in (from, to]. */
export function scheduleSlots(schedule: { next(after: number): number | undefined }, from: number, to: number, cap = 100_000): number[] {
  const slots: number[] = [];
  for (let slot = schedule.next(from); slot !== undefined && slot <= to && slots.length < cap; slot = schedule.next(slot)) slots.push(slot);
  return slots;
}
