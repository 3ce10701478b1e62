"""bench/fire's peer: APScheduler 3 (Debian's python3-apscheduler) firing N jobs on a one-second cron.

    python3 bench/fire_apscheduler.py JOBS WINDOW_START_EPOCH_S DURATION_S

Lateness of a fire: the instant the scheduler submits the job to its executor
(EVENT_JOB_SUBMITTED) minus the job's scheduled_run_time, for run times in
[WINDOW_START, WINDOW_START + DURATION). Prints one JSON object on stdout.
"""
import json
import sys
import threading
import time

from apscheduler import __version__ as version
from apscheduler.events import EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

jobs, window_start, duration = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
window_end = window_start + duration
lock = threading.Lock()
lateness_ms = []
seen = set()
doubles = 0
missed = 0


def in_window(run_time):
    return window_start <= run_time.timestamp() < window_end


def on_event(event):
    global doubles, missed
    now = time.time()
    with lock:
        if event.code == EVENT_JOB_MISSED:
            missed += 1 if in_window(event.scheduled_run_time) else 0
            return
        for run_time in event.scheduled_run_times:
            if not in_window(run_time):
                continue
            key = (event.job_id, run_time.timestamp())
            doubles += 1 if key in seen else 0
            seen.add(key)
            lateness_ms.append((now - run_time.timestamp()) * 1000)


def noop():
    pass


scheduler = BackgroundScheduler(timezone="UTC")
for index in range(jobs):
    scheduler.add_job(noop, CronTrigger(second="*", timezone="UTC"), id=f"job{index}")
scheduler.add_listener(on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED)
scheduler.start()
time.sleep(max(0.0, window_end + 1.0 - time.time()))
scheduler.shutdown(wait=False)
with lock:
    print(json.dumps({"version": version, "lateness_ms": lateness_ms, "early": sum(1 for value in lateness_ms if value < 0), "double": doubles, "missed": missed}))
