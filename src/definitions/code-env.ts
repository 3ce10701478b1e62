/**
 * Environment variables whose value programs read as code, or as where their
 * code comes from: a value from outside put into one of them runs (bash runs
 * $BASH_ENV before the script, node takes --require from $NODE_OPTIONS, the
 * dynamic loader loads $LD_PRELOAD into every program, $PATH picks the
 * program). Pure data.
 */

const NAMES = new Set([
  "PATH",
  "SHELL",
  "BASH_ENV",
  "ENV",
  "PS4",
  "PROMPT_COMMAND",
  "SHELLOPTS",
  "BASHOPTS",
  "ZDOTDIR",
  "NODE_OPTIONS",
  "NODE_PATH",
  "PYTHONSTARTUP",
  "PYTHONPATH",
  "PYTHONHOME",
  "PYTHONBREAKPOINT",
  "PYTHONUSERBASE",
  "PERL5OPT",
  "PERL5LIB",
  "PERLLIB",
  "PERL5DB",
  "RUBYOPT",
  "RUBYLIB",
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "CLASSPATH",
  "PHPRC",
  "PHP_INI_SCAN_DIR",
  "R_PROFILE",
  "R_PROFILE_USER",
  "R_ENVIRON",
  "R_ENVIRON_USER",
  "TCLLIBPATH",
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_EXEC_PATH",
  "GIT_EDITOR",
  "GIT_SEQUENCE_EDITOR",
  "GIT_PAGER",
  "GIT_ASKPASS",
  "GIT_EXTERNAL_DIFF",
  "GIT_PROXY_COMMAND",
  "GIT_TEMPLATE_DIR",
  "GIT_DIR",
  "SSH_ASKPASS",
  "SUDO_ASKPASS",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "MANPAGER",
  "LESSOPEN",
  "LESSCLOSE",
  "BROWSER",
  "GCONV_PATH",
  "MAKEFLAGS",
  "MFLAGS",
  "TAR_OPTIONS",
  "RSYNC_RSH",
  "RSYNC_CONNECT_PROG",
  "CVS_RSH",
]);

const PATTERNS = [/^LD_/, /^DYLD_/, /^BASH_FUNC_/, /^GIT_CONFIG_/, /^LUA_(INIT|PATH|CPATH)/];

export function isCodeVariable(name: string): boolean {
  return NAMES.has(name) || PATTERNS.some((pattern) => pattern.test(name));
}
