/**
 * The programs Spire knows that read some of their arguments as code, or
 * run another command given in their arguments, and how their options read
 * (see argv-code.ts for the rule these serve). Only what decides where code
 * and commands are: an option missing here makes the check refuse more,
 * never less (an option it does not know ends what it can tell).
 *
 * Options are read the getopt way: they go on until the first operand (so
 * after `node -e CODE`, a word such as `--eval=…` is still an option), or
 * until `--`; a program that `permutes` reads options after operands too.
 *
 * Option kinds:
 *   flag     no value
 *   value    takes a value (glued: -W3, --x=3; or the next word) that is data
 *   code     takes a value that the program runs as code (sh -c's string is a mode, see below)
 *   program  takes a value that names code: a script, module or library it loads
 *   glued    an optional value glued to it only, the rest of the word (-i.bak, -xdir); data
 *   digits   optional digits glued to it (-0777, -l15), then more letters may follow
 *   mode     a flag that changes what the operands are (sh -c, sudo -s, watch -x)
 *   end-code / end-program   like code / program, and the options end: what follows is data (python -c, -m)
 *   split    env -S: the value is split into words that start the command
 *   value2   two values (jq --arg NAME VALUE)
 */

export type OptionKind = "flag" | "value" | "code" | "program" | "glued" | "digits" | "mode" | "end-code" | "end-program" | "split" | "value2";

export interface OptionSet {
  /** By letter; `-abc` is a cluster of letters. */
  short?: Record<string, OptionKind>;
  /** By name without the dashes. */
  long?: Record<string, OptionKind>;
  /** Letters not listed are flags (shells: -e, -x, -l, …); otherwise Spire does not know them. */
  otherShortFlags?: boolean;
  /** Long names not listed that are known to be flags. */
  otherLongFlags?: RegExp;
  /** `+o NAME` and friends, as shells have them. */
  plus?: boolean;
}

/** What a program does with its operands (the words after its options). */
export type Operands =
  /** An interpreter: the first operand is its program text (awk, sed, jq) or a script file, unless an option gave the code; the rest is data. */
  | { kind: "interpreter"; first: "code" | "program" }
  /** A wrapper: `fixed` operands (timeout's DURATION), then a command with its own arguments. */
  | { kind: "wrapper"; fixed?: ("value" | "program")[] }
  /** Special rules, in argv-code.ts. */
  | { kind: "special" };

export interface ProgramSpec {
  /** How the check names it in messages. */
  name: string;
  /** For hints on the safe form. */
  family: Family;
  options: OptionSet;
  operands: Operands;
  /** Options may come after operands (GNU getopt permutes, git, cobra): anything before `--` may be an option. */
  permutes?: boolean;
}

export type Family = "shell" | "pwsh" | "python" | "node" | "perl" | "ruby" | "php" | "lua" | "r" | "awk" | "sed" | "jq" | "osascript" | "tcl" | "remote" | "wrapper" | "make" | "git" | "container" | "find" | "commands";

const SHELL_OPTIONS: OptionSet = { short: { c: "mode", s: "mode", o: "value", O: "value" }, long: { rcfile: "program", "init-file": "program" }, otherShortFlags: true, otherLongFlags: /^[a-z][a-z-]*$/, plus: true };

const shell = (name: string): ProgramSpec => ({ name, family: "shell", options: SHELL_OPTIONS, operands: { kind: "special" } });
const wrapper = (name: string, options: OptionSet, fixed?: ("value" | "program")[]): ProgramSpec => ({ name, family: "wrapper", options, operands: fixed ? { kind: "wrapper", fixed } : { kind: "wrapper" } });
const interpreter = (name: string, family: Family, options: OptionSet, first: "code" | "program", extra: Partial<ProgramSpec> = {}): ProgramSpec => ({
  name,
  family,
  options,
  operands: { kind: "interpreter", first },
  ...extra,
});
const flags = (letters: string): Record<string, OptionKind> => Object.fromEntries([...letters].map((letter) => [letter, "flag"]));
const kinds = (kind: OptionKind, names: string): Record<string, OptionKind> => Object.fromEntries(names.split(" ").map((name) => [name, kind]));

const NODE_VALUES =
  "conditions input-type title inspect-port debug-port redirect-warnings diagnostic-dir report-dir report-directory report-filename report-signal openssl-config icu-data-dir watch-path test-reporter test-reporter-destination test-name-pattern test-skip-pattern test-concurrency test-timeout test-shard secure-heap secure-heap-min heapsnapshot-signal heapsnapshot-near-heap-limit unhandled-rejections dns-result-order max-http-header-size disable-warning cpu-prof-dir cpu-prof-name cpu-prof-interval heap-prof-dir heap-prof-name heap-prof-interval trace-event-categories trace-event-file-pattern localstorage-file allow-fs-read allow-fs-write stack-trace-limit experimental-default-type snapshot-blob tls-cipher-list tls-keylog v8-pool-size max-old-space-size max-semi-space-size stack-size watch-kill-signal";
const NODE_OPTIONS: OptionSet = {
  short: { e: "code", p: "code", r: "program", C: "value", ...flags("icvh") },
  long: {
    eval: "code",
    print: "code",
    ...kinds("program", "require import loader experimental-loader env-file env-file-if-exists experimental-policy experimental-config-file run experimental-sea-config"),
    ...kinds("value", NODE_VALUES),
  },
  otherLongFlags: /^(no-|experimental-|trace-|harmony|allow-|expose-|inspect|prof|enable-|force-|preserve-symlinks|pending-deprecation|throw-deprecation|frozen-intrinsics|jitless|abort-on|insecure-http|interpreted-frames|zero-fill|test$|watch$|watch-preserve-output|check$|interactive$|help$|version$|v8-options|completion-bash|use-|report-on|report-uncaught|report-compact|permission$|build-snapshot$|entry-url$)/,
};

const PERL_OPTIONS: OptionSet = {
  short: { e: "code", E: "code", M: "code", m: "code", F: "code", d: "glued", D: "glued", I: "value", x: "glued", i: "glued", "0": "digits", l: "digits", C: "digits", V: "glued", ...flags("acnpstTuUvwWXhS") },
};
const RUBY_OPTIONS: OptionSet = {
  short: { e: "code", r: "program", I: "value", C: "value", E: "value", F: "value", x: "glued", i: "glued", "0": "digits", K: "glued", W: "digits", T: "digits", ...flags("acdlnpsSvwyUh") },
  long: { ...kinds("value", "enable disable encoding external-encoding internal-encoding dump backtrace-limit"), ...kinds("flag", "verbose version copyright help jit yjit") },
};
const AWK_OPTIONS: OptionSet = {
  short: { F: "value", v: "value", f: "program", e: "code", i: "program", l: "program", E: "program", d: "glued", D: "glued", L: "glued", o: "glued", p: "glued", ...flags("bcCghMNOPrsStV") },
  long: {
    ...kinds("value", "field-separator assign"),
    file: "program",
    source: "code",
    ...kinds("program", "include load exec"),
  },
  otherLongFlags: /^(characters-as-bytes|traditional|copyright|debug|dump-variables|gen-pot|help|lint|bignum|use-lc-numeric|non-decimal-data|optimize|no-optimize|profile|pretty-print|posix|re-interval|sandbox|version|csv)/,
};
const SED_OPTIONS: OptionSet = {
  short: { e: "code", f: "program", l: "value", i: "glued", ...flags("snErzu") },
  long: { expression: "code", file: "program", "line-length": "value", ...kinds("flag", "in-place null-data zero-terminated separate unbuffered regexp-extended quiet silent posix debug sandbox follow-symlinks binary") },
};
const JQ_OPTIONS: OptionSet = {
  short: { f: "program", L: "program", ...flags("nrjascCMSeR") },
  long: {
    "from-file": "program",
    ...kinds("value2", "arg argjson slurpfile rawfile"),
    indent: "value",
    ...kinds("flag", "tab seq stream stream-errors raw-input raw-output raw-output0 join-output ascii-output sort-keys color-output monochrome-output null-input slurp compact-output exit-status unbuffered args jsonargs"),
  },
};

const DOCKER_RUN_VALUES =
  "e env v volume w workdir name u user network net p publish mount label l env-file platform pull h hostname add-host cpus m memory device cap-add cap-drop security-opt ulimit tmpfs log-driver log-opt restart gpus ipc pid shm-size stop-signal stop-timeout a attach cidfile dns dns-option dns-search expose group-add link runtime userns uts volumes-from cgroup-parent cpu-shares c cpuset-cpus cpuset-mems memory-swap memory-reservation oom-score-adj sysctl storage-opt label-file annotation detach-keys mac-address ip ip6 network-alias health-interval health-retries health-timeout health-start-period kernel-memory pids-limit blkio-weight cpu-period cpu-quota cgroupns isolation domainname";

/** docker and podman: `run`/`create` IMAGE COMMAND…, `exec` CONTAINER COMMAND…; --entrypoint names the program. */
export const CONTAINER_OPTIONS: OptionSet = {
  short: { ...kinds("value", "e v w u p l h m a c"), ...flags("ditPq") },
  long: {
    ...kinds("value", DOCKER_RUN_VALUES),
    entrypoint: "program",
    "health-cmd": "code",
    ...kinds("flag", "detach interactive tty rm init privileged read-only no-healthcheck oom-kill-disable publish-all sig-proxy quiet disable-content-trust help no-hosts"),
  },
};
/** Options before docker's subcommand. */
export const CONTAINER_GLOBAL: OptionSet = {
  short: { H: "value", c: "value", l: "value", ...flags("Dv") },
  long: { ...kinds("value", "host config context log-level tlscacert tlscert tlskey"), ...kinds("flag", "debug tls tlsverify version help") },
};

const SSH_OPTIONS: OptionSet = {
  short: { ...kinds("value", "B b c D E e I i J L l m O p Q R S W w"), o: "code", F: "program", ...flags("46AaCfGgKkMNnqsTtVvXxYy") },
};

export const COMMAND_READERS = "sqlite3 psql mysql mariadb duckdb vim vi nvim ex view vimdiff gvim emacs emacsclient gdb lldb tmux screen parallel nix-shell nix julia guile racket sbcl clisp elixir erl escript groovy scala kotlin jshell ghci runghc ocaml";

const PROGRAMS: Record<string, ProgramSpec> = {
  // Shells: `-c` makes the first operand the code; without it, the first operand is a script file.
  ...Object.fromEntries("sh bash dash zsh ksh ksh93 mksh pdksh oksh loksh ash yash rbash posh hush csh tcsh osh ysh xonsh elvish".split(" ").map((name) => [name, shell(name)])),
  fish: { name: "fish", family: "shell", options: { short: { c: "code", C: "code", d: "value", o: "value", f: "value", ...flags("ilnNpPv") }, long: { command: "code", "init-command": "code", ...kinds("value", "debug debug-output features profile profile-startup") }, otherLongFlags: /^[a-z-]+$/ }, operands: { kind: "interpreter", first: "program" } },
  nu: { name: "nu", family: "shell", options: { short: { c: "code", e: "code", ...flags("hilnv") }, long: { commands: "code", execute: "code", ...kinds("program", "config env-config plugin-config plugins"), ...kinds("value", "log-level log-target table-mode threads include-path") } }, operands: { kind: "interpreter", first: "program" } },
  pwsh: { name: "pwsh", family: "pwsh", options: {}, operands: { kind: "special" } },
  // Interpreters.
  python: interpreter("python", "python", { short: { c: "end-code", m: "end-program", W: "value", X: "value", ...flags("bBdEhiIOPqRsSuvVx?") }, long: { "check-hash-based-pycs": "value", ...kinds("flag", "help help-env help-xoptions help-all version") } }, "program"),
  node: interpreter("node", "node", NODE_OPTIONS, "program"),
  bun: { name: "bun", family: "node", options: { short: { e: "code", p: "code", r: "program", ...flags("hv") }, long: { eval: "code", print: "code", preload: "program", ...kinds("value", "cwd config env-file tsconfig-override") }, otherLongFlags: /^(bun|watch|hot|smol|silent|no-|inspect|help|version)/ }, operands: { kind: "special" } },
  deno: { name: "deno", family: "node", options: { short: { ...kinds("value", "c r L"), ...flags("qAhV") }, long: { eval: "code", "eval-file": "program", ...kinds("program", "config import-map preload import"), ...kinds("value", "location cert lock seed v8-flags ext env-file log-level unstable-sloppy-imports") }, otherLongFlags: /^(allow-|deny-|no-|unstable|reload|inspect|watch|check|quiet|help|version|frozen|cached-only)/ }, operands: { kind: "special" } },
  perl: interpreter("perl", "perl", PERL_OPTIONS, "program"),
  ruby: interpreter("ruby", "ruby", RUBY_OPTIONS, "program"),
  php: interpreter("php", "php", { short: { r: "code", B: "code", R: "code", E: "code", F: "program", f: "program", d: "code", c: "program", z: "program", t: "value", S: "value", ...flags("nahilmqsvwHe") } }, "program"),
  lua: interpreter("lua", "lua", { short: { e: "code", l: "program", j: "code", O: "glued", ...flags("ivEW") } }, "program"),
  Rscript: interpreter("Rscript", "r", { short: { e: "code" }, long: { "default-packages": "value" }, otherLongFlags: /^[a-z-]+$/ }, "program"),
  R: interpreter("R", "r", { short: { e: "code", f: "program", ...flags("hdgqs") }, long: { file: "program", ...kinds("value", "args encoding") }, otherLongFlags: /^[a-z-]+$/ }, "program"),
  osascript: interpreter("osascript", "osascript", { short: { e: "code", l: "value", s: "value", ...flags("i") } }, "program"),
  tclsh: interpreter("tclsh", "tcl", {}, "program"),
  expect: interpreter("expect", "tcl", { short: { c: "code", f: "program", ...flags("bdDinNv") } }, "program"),
  awk: interpreter("awk", "awk", AWK_OPTIONS, "code"),
  sed: interpreter("sed", "sed", SED_OPTIONS, "code", { permutes: true }),
  jq: interpreter("jq", "jq", JQ_OPTIONS, "code", { permutes: true }),
  make: { name: "make", family: "make", options: { short: { f: "program", C: "value", I: "value", o: "value", W: "value", j: "glued", l: "glued", O: "glued", E: "code", ...flags("bBdeiknpqrRsStvwh") }, long: { ...kinds("program", "file makefile"), eval: "code", ...kinds("value", "directory include-dir old-file assume-old new-file assume-new what-if jobs load-average output-sync debug") }, otherLongFlags: /^[a-z-]+$/ }, operands: { kind: "special" }, permutes: true },
  git: { name: "git", family: "git", options: { short: { c: "code", C: "value", ...flags("pPhv") }, long: { ...kinds("program", "exec-path git-dir"), ...kinds("value", "work-tree namespace super-prefix config-env list-cmds attr-source"), ...kinds("flag", "paginate no-pager no-replace-objects no-lazy-fetch no-optional-locks bare literal-pathspecs glob-pathspecs noglob-pathspecs icase-pathspecs no-advice help version html-path man-path info-path") } }, operands: { kind: "special" }, permutes: true },
  find: { name: "find", family: "find", options: { short: { D: "value", O: "glued", ...flags("HLP") } }, operands: { kind: "special" } },
  // Remote shells: the words after the host are joined and parsed by the shell over there.
  ssh: { name: "ssh", family: "remote", options: SSH_OPTIONS, operands: { kind: "special" } },
  rsh: { name: "rsh", family: "remote", options: { short: { l: "value", ...flags("dn") } }, operands: { kind: "special" } },
  // Wrappers: a command follows their options (and fixed operands).
  env: { name: "env", family: "wrapper", options: { short: { u: "value", C: "value", P: "value", S: "split", ...flags("i0v") }, long: { unset: "value", chdir: "value", "split-string": "split" }, otherLongFlags: /^(ignore-environment|null|debug|block-signal|default-signal|ignore-signal|list-signal-handling|help|version)/ }, operands: { kind: "special" } },
  sudo: { name: "sudo", family: "wrapper", options: { short: { ...kinds("value", "u g C D h p r t T U R"), s: "mode", i: "mode", e: "mode", ...flags("AbEHKklnPSVv") }, long: { ...kinds("value", "user group close-from chdir host prompt role type command-timeout other-user chroot"), shell: "mode", login: "mode", edit: "mode" }, otherLongFlags: /^(askpass|background|bell|preserve-env|preserve-groups|set-home|remove-timestamp|reset-timestamp|list|non-interactive|stdin|validate|version|help)/ }, operands: { kind: "special" } },
  doas: { name: "doas", family: "wrapper", options: { short: { u: "value", C: "program", s: "mode", ...flags("n") } }, operands: { kind: "special" } },
  nice: wrapper("nice", { short: { n: "value", ...flags("0123456789") }, long: { adjustment: "value" } }),
  ionice: wrapper("ionice", { short: { ...kinds("value", "c n p P u"), ...flags("t") }, long: { ...kinds("value", "class classdata pid pgid uid"), ignore: "flag" } }),
  chrt: wrapper("chrt", { short: { ...kinds("value", "T P D"), ...flags("bdfiormavpRe") } }, ["value"]),
  taskset: wrapper("taskset", { short: flags("acp"), long: kinds("flag", "all-tasks cpu-list pid") }, ["value"]),
  nohup: wrapper("nohup", {}),
  setsid: wrapper("setsid", { short: flags("cfw"), long: kinds("flag", "ctty fork wait") }),
  stdbuf: wrapper("stdbuf", { short: kinds("value", "i o e"), long: kinds("value", "input output error") }),
  timeout: wrapper("timeout", { short: { k: "value", s: "value", v: "flag" }, long: { "kill-after": "value", signal: "value", ...kinds("flag", "foreground preserve-status verbose") } }, ["value"]),
  time: wrapper("time", { short: { f: "value", o: "value", ...flags("apqv") }, long: { format: "value", output: "value", ...kinds("flag", "append portability verbose quiet") } }),
  command: wrapper("command", { short: flags("pvV") }),
  exec: wrapper("exec", { short: { a: "value", ...flags("cl") } }),
  xargs: wrapper("xargs", { short: { ...kinds("value", "a d E I L n P s"), i: "glued", l: "glued", e: "glued", ...flags("0oprtx") }, long: { ...kinds("value", "arg-file delimiter max-lines max-args max-procs max-chars process-slot-var"), ...kinds("flag", "eof replace null no-run-if-empty open-tty interactive verbose exit show-limits") } }),
  flock: { name: "flock", family: "wrapper", options: { short: { w: "value", E: "value", ...flags("sexnoFu") }, long: { ...kinds("value", "timeout wait conflict-exit-code"), ...kinds("flag", "shared exclusive unlock nonblock nb close no-fork verbose") } }, operands: { kind: "special" } },
  su: { name: "su", family: "wrapper", options: { short: { c: "code", s: "program", ...kinds("value", "g G w"), ...flags("lmpPf") }, long: { command: "code", "session-command": "code", shell: "program", ...kinds("value", "group supp-group whitelist-environment"), ...kinds("flag", "login preserve-environment pty fast") } }, operands: { kind: "special" } },
  runuser: { name: "runuser", family: "wrapper", options: { short: { c: "code", s: "program", u: "mode", ...kinds("value", "g G w"), ...flags("lmpPf") }, long: { command: "code", "session-command": "code", shell: "program", user: "mode", ...kinds("value", "group supp-group whitelist-environment"), ...kinds("flag", "login preserve-environment pty fast") } }, operands: { kind: "special" } },
  chroot: wrapper("chroot", { long: { ...kinds("value", "userspec groups"), "skip-chdir": "flag" } }, ["program"]),
  busybox: wrapper("busybox", {}),
  watch: { name: "watch", family: "wrapper", options: { short: { n: "value", q: "value", d: "glued", x: "mode", ...flags("gtbecpwr") }, long: { interval: "value", equexit: "value", differences: "flag", exec: "mode", ...kinds("flag", "chgexit beep errexit color no-color precise no-title no-linewrap no-rerun") } }, operands: { kind: "special" } },
  script: { name: "script", family: "wrapper", options: { short: { c: "code", ...kinds("value", "E I O B T m"), ...flags("aefqt") }, long: { command: "code", ...kinds("value", "echo log-in log-out log-io log-timing logging-format output-limit"), ...kinds("flag", "append return flush force quiet") } }, operands: { kind: "special" } },
  strace: wrapper("strace", { short: { ...kinds("value", "e o p s u E a b I P O S X U"), ...flags("cCdDfFhiqrtTvVwxyzZkn") } }),
  unshare: wrapper("unshare", { short: { ...kinds("value", "S G R w"), ...flags("muinpUCTfrck") }, otherLongFlags: /^(mount|uts|ipc|net|pid|user|cgroup|time|fork|map-|kill-child|mount-proc|keep-caps|setgroups|propagation|root|wd|setuid|setgid)/ }),
  nsenter: wrapper("nsenter", { short: { t: "value", S: "value", G: "value", r: "glued", w: "glued", ...flags("amuinpUCTFZe") } }),
  "systemd-run": wrapper("systemd-run", { short: { ...kinds("value", "p E M H u"), ...flags("rtPGSqdh") }, long: kinds("value", "unit property description slice setenv working-directory uid gid nice on-active on-boot on-startup on-unit-active on-unit-inactive on-calendar timer-property path-property socket-property service-type machine host") , otherLongFlags: /^(user|system|scope|remain-after-exit|send-sighup|wait|pipe|pty|shell|quiet|collect|same-dir|no-ask-password|no-block|verbose|help|version)$/ }),
  fakeroot: wrapper("fakeroot", { short: { ...kinds("value", "l s i b"), ...flags("uhv") } }),
  faketime: wrapper("faketime", { short: flags("fm") }, ["value"]),
  torsocks: wrapper("torsocks", { short: { ...kinds("value", "u p a P"), ...flags("iqdh") } }),
  proxychains4: wrapper("proxychains4", { short: { f: "value", q: "flag" } }),
  sshpass: wrapper("sshpass", { short: { ...kinds("value", "p f d e P"), v: "flag" } }),
  // Programs whose arguments are commands in a language of their own, with a way out to a shell (sqlite3's .shell, psql's \!, vim's :!,
  // gdb's shell, tmux's and screen's commands, parallel's and nix-shell's shell strings): every argument may be code.
  ...Object.fromEntries(COMMAND_READERS.split(" ").map((name) => [name, { name, family: "commands", options: {}, operands: { kind: "special" } } satisfies ProgramSpec])),
  // Runners of a package or of a command: what follows names what runs, as after env.
  "ssh-agent": wrapper("ssh-agent", { short: { ...kinds("value", "a E P t O"), ...flags("cDdks") } }),
  npx: wrapper("npx", { short: { p: "value", c: "code", ...flags("yq") }, long: { package: "value", call: "code", ...kinds("flag", "yes no quiet") } }),
  pnpx: wrapper("pnpx", {}),
  bunx: wrapper("bunx", { long: { bun: "flag" } }),
  uvx: wrapper("uvx", { long: kinds("value", "from with python") }),
  docker: { name: "docker", family: "container", options: CONTAINER_GLOBAL, operands: { kind: "special" } },
  kubectl: { name: "kubectl", family: "container", options: {}, operands: { kind: "special" } },
};

/** Names that are another name: versions (python3.11, perl5.36), variants (gawk, nodejs), siblings (podman). */
const ALIASES: [RegExp, string][] = [
  [/^(python|pypy|pythonw)(\d+(\.\d+)*)?(-dbg|m|d)?$/, "python"],
  [/^(node|nodejs)(\d+)?$/, "node"],
  [/^perl(\d+(\.\d+)*)?$/, "perl"],
  [/^ruby(\d+(\.\d+)*)?$/, "ruby"],
  [/^php(\d+(\.\d+)*)?(-cli)?$/, "php"],
  [/^(lua|luajit)(\d+(\.\d+)*)?$/, "lua"],
  [/^(gawk|mawk|nawk|busybox-awk|original-awk)$/, "awk"],
  [/^(sqlite|sqlite3\.\d+)$/, "sqlite3"],
  [/^(vim\.\w+|nvim-qt)$/, "vim"],
  [/^(gsed)$/, "sed"],
  [/^(gojq|jaq)$/, "jq"],
  [/^(tclsh|wish)(\d+(\.\d+)*)?$/, "tclsh"],
  [/^(powershell|pwsh-preview)(\.exe)?$/, "pwsh"],
  [/^(gmake|bmake)$/, "make"],
  [/^(podman|nerdctl)$/, "docker"],
  [/^(oc)$/, "kubectl"],
  [/^(slogin)$/, "ssh"],
  [/^(proxychains)$/, "proxychains4"],
  [/^(ltrace)$/, "strace"],
];

/** The spec of the program an argv word names (a path's last part), if Spire knows it. */
export function programSpec(word: string): ProgramSpec | undefined {
  const base = word.slice(word.lastIndexOf("/") + 1).replace(/\.exe$/i, "");
  if (Object.hasOwn(PROGRAMS, base)) return PROGRAMS[base];
  // A disk that ignores case (macOS's, by default) runs sh for SH: names are matched in any case.
  const lower = base.toLowerCase();
  if (Object.hasOwn(BY_LOWER_NAME, lower)) return BY_LOWER_NAME[lower];
  const alias = ALIASES.find(([pattern]) => pattern.test(lower));
  return alias === undefined ? undefined : PROGRAMS[alias[1]];
}

const BY_LOWER_NAME: Record<string, ProgramSpec> = Object.fromEntries(Object.entries(PROGRAMS).map(([name, spec]) => [name.toLowerCase(), spec]));
