/**
 * What the CLI reference and the man page say about the environment and the
 * data folder. Not in any command's help, so it is written here, once; a test
 * holds it to the variables the code reads and the files an engine writes.
 */

export interface Entry {
  name: string;
  text: string;
}

export const ENVIRONMENT: readonly Entry[] = [
  { name: "SPIRE_DATA", text: "The data folder, as --data gives it (which wins)." },
  { name: "XDG_DATA_HOME", text: "Without --data or SPIRE_DATA, the data folder is $XDG_DATA_HOME/spire (an absolute path), else ~/.local/share/spire." },
  { name: "XDG_CONFIG_HOME", text: "Where spire service install writes the systemd user unit on Linux: $XDG_CONFIG_HOME/systemd/user (an absolute path), else ~/.config/systemd/user; with --worker, also the worker's token, in $XDG_CONFIG_HOME/spire/worker.env (mode 0600)." },
  { name: "SPIRE_ENGINE", text: "The URL of the engine to talk to, as --engine gives it (which wins). A command then talks to that engine and nothing else: one that does not answer is exit 3." },
  {
    name: "SPIRE_TOKEN",
    text: "The API token sent to the engine (spire token create makes one). Without it, commands use the local admin token of the data folder, for its own engine only. spire worker takes its token from it when --token is not given (spire service install --worker puts it there from a private file). Tasks never see it.",
  },
  {
    name: "SPIRE_STORE",
    text: "spire engine keeps its records in this PostgreSQL database (postgres://USER@HOST:5432/DATABASE, ?schema=NAME optional), shared with the other engines on it, as --store gives it (which wins); the password may be in it (never on the command line) or in PGPASSWORD or ~/.pgpass. Without an engine, commands then refuse to work on the data folder's SQLite. Tasks never see it.",
  },
  {
    name: "PRUNNER_JWT_SECRET",
    text: "The shared secret of prunner's API (spire engine --prunner), as prunner reads it: tokens are HS256 JWTs signed with this text (at least 16 characters). Without it, the secret is the jwt_secret of prunner.yml in the data folder, made at the first use. spire token prunner signs with the same secret. Tasks never see it.",
  },
  { name: "TZ", text: "The engine's local time zone: the default timezone of cron, at, start and end, and the zone human output shows times in (--utc for UTC)." },
  { name: "NO_COLOR", text: "When set (not empty), output has no colours. FORCE_COLOR asks for them where output is not a terminal." },
  { name: "SPIRE_DEBUG", text: "When set, an internal error prints its stack trace as well." },
  {
    name: "SPIRE_SPAWNER",
    text: "node: tasks start with Node's own spawn instead of the native spawner (posix_spawn, built at install on Linux where a C compiler is): to compare the two, or as a way out should the native one misbehave. Unset (or native): the native spawner when it is there, else Node's, which the engine's log says once, with why. Read by the process that starts tasks: the supervisor, which keeps the setting it started with while it outlives engines.",
  },
];

/** What Spire sets in the environment of every task attempt (besides the task's own env). */
export const TASK_ENVIRONMENT: readonly Entry[] = (
  [
    ["SPIRE_RUN_ID", "The run's id."],
    ["SPIRE_NAMESPACE", "The pipeline's namespace."],
    ["SPIRE_PIPELINE", "The pipeline's name."],
    ["SPIRE_TASK", "The task's path in the pipeline (group/task, array[2]/task)."],
    ["SPIRE_ATTEMPT", "The attempt's number: 1, then 2 and on for retries."],
    ["SPIRE_SEED", "The run's random seed (0 to 2147483647), the same for every attempt of every task of the run. A retry keeps it, so a task that seeds its random numbers from it replays a failure. Chosen at random when the run is made, unless given: spire run --seed N, or the API's seed. spire show prints it."],
    ["SPIRE_ARRAY_INDEX", "In a repeat or matrix: the copy's index, from 0."],
    ["SPIRE_MATRIX_<KEY>", "In a matrix: the copy's value of each key."],
    ["SPIRE_SCHEDULED_AT", "The time slot the run is for (ISO 8601): a time trigger's, else when the run was made."],
    ["SPIRE_TRIGGER", "What started the run: its trigger's kind, such as cron, webhook, manual or retry."],
    ["SPIRE_ARG_<NAME>", "Each run argument, by its name in upper case."],
    ["SPIRE_OUTPUT", "A file the task may write KEY=VALUE lines to: its outputs, read when it ends."],
    ["SPIRE_ARTIFACTS", "The task's own artifact folder; the artifacts of the tasks it needs are beside it, in $SPIRE_ARTIFACTS/../TASK."],
    ["SPIRE_WORKER", "The name of the machine the attempt runs on (a worker's, or the engine's host name)."],
  ] as const
).map(([name, text]) => ({ name, text }));

/** The data folder's contents (mode 0700; every file in it 0600). */
export const DATA_FILES: readonly Entry[] = [
  { name: "spire.db", text: "The store (SQLite, with its -wal and -shm files): definitions, runs, task runs, events, token records and the audit log." },
  { name: "secret", text: "The key that signs and checks API tokens (HS256), made at the engine's first start. Whoever reads it can make tokens. Engines sharing a PostgreSQL store must all have the same one (copy it before their first start)." },
  { name: "engine-id", text: "This engine's lasting id among the engines sharing a PostgreSQL store: the runs it starts are its own, and it takes them up again when restarted on this folder. Made at the first start; an engine refuses to start on one that holds no id, rather than become another engine (delete it for a new one)." },
  { name: "prunner.yml", text: "The secret of prunner's API (spire engine --prunner) when PRUNNER_JWT_SECRET is not set, in prunner's own config format (jwt_secret: …), made at the first use: Flowpack.Prunner's configFile setting can point at it. Whoever reads it can make tokens for that API." },
  { name: "token", text: "The local admin token, used by commands of the same user to talk to this data folder's engine." },
  { name: "engine.json", text: "The address and pid of the engine running on this data folder, while it runs: how commands find it." },
  { name: "retention.json", text: "The retention limits the last engine was started with (keep_runs, keep_days), for spire gc and spire run when no engine runs; written by each engine start. Commands refuse one they cannot use, rather than take the defaults." },
  { name: "supervisor.sock", text: "The socket of the supervisor process that runs tasks for the engine and keeps them going across its restarts (with supervisor.sock.pid)." },
  { name: "supervisor.log", text: "The supervisor's own log." },
  { name: "in-process/", text: "One file per spire run process running runs with no engine (named by its pid: its start and the ids of its runs), while it runs: an engine started meanwhile leaves those runs to it, and other spire runs count them against a pipeline's concurrency." },
  { name: "runs/", text: "Per run: tasks/TASK.N.log (attempt N's output, each line timestamped), tasks/TASK.N.out (its SPIRE_OUTPUT file; a group's tasks in tasks/GROUP/) and artifacts/TASK/ (the files it kept). While an engine runs, runs/.spare/ holds a few empty run folders made ahead, one renamed into place as a run starts." },
];
