/** time/: pure schedule maths. Triggers -> slots, catch-up, DST, readings. */
export { type Schedule, type TriggerSchedule, type ScheduleOptions, scheduleOf, checkTrigger, isTimeTrigger } from "./schedule.js";
export { checkCron, expandCron } from "./cron.js";
export { parseTime, timeOf } from "./datetime.js";
export { missedSlots, countSlots, type CatchupPolicy, type Catchup, type SlotCount } from "./catchup.js";
export { describeTrigger, describeCron, nextTimes, offsetChange, formatInterval, type NextTime } from "./describe.js";
export { type Clock, MAX_WAIT_MS, waitFor, isDue } from "./clock.js";
export { checkZone, systemZone, formatInZone } from "./zone.js";
export { jitterOf } from "./jitter.js";
