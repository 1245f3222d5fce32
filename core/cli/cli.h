/* The `netloom` command's private interface. Each command is a declarative entry, a
 * `const struct loom_cmd` in its own cmd-<name>.c file, listed in main.c's table. main.c
 * does the argument work once for all of them: options are parsed from the entry's
 * option list, positional arguments are counted, lab and node names are checked, root is
 * required where the entry says so, and a lab name or lab file is resolved to the name of
 * a deployed lab — so a command's exec function starts with arguments it can trust. The
 * helpers in common.c print errors, diagnostics and the inspect table the same way for
 * every command. */
#ifndef LOOM_CLI_H
#define LOOM_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "core/log.h"
#include "topology/model.h"

#define LOOM_VERSION "0.1.0"

/* Exit codes, the same for every command (exec passes its command's status through). */
enum
{
  LOOM_EXIT_OK = 0,
  LOOM_EXIT_FAILURE = 1,
  LOOM_EXIT_USAGE = 2, /* bad arguments, or a lab file with errors */
};

/* Command flags. */
enum
{
  LOOM_CMD_NEEDS_ROOT = 1 << 0, /* touches namespaces: refuse early when not root */
  /* Positional argument 0, when given, is a lab name or lab file: checked with
   * loom_name_valid (names) and resolved to a deployed lab's name in args->lab. */
  LOOM_CMD_LAB_ARG = 1 << 1,
  /* Positional argument 1 is a node name: checked, and looked up in the lab's state so
   * a typo is reported with the list of nodes instead of a namespace error. */
  LOOM_CMD_NODE_ARG = 1 << 2,
  /* Option parsing stops at the first positional argument, so that what follows
   * (exec's command line) is passed on untouched, its own options included. */
  LOOM_CMD_STOP_AT_ARG = 1 << 3,
  /* Internal (the supervisor's entry point): not listed by `netloom help`. */
  LOOM_CMD_HIDDEN = 1 << 4,
  /* With LOOM_CMD_LAB_ARG: a lab that is not deployed is not an error here; args->lab is
   * NULL and the command decides (destroy --cleanup of a destroyed lab's file). */
  LOOM_CMD_LAB_MAY_BE_GONE = 1 << 5,
};

#define LOOM_CMD_MAX_OPTS 8

/* One option of a command; a command's list ends with an entry whose long_name is NULL.
 * -h/--help, -v/--verbose and -q/--quiet are added to every command by main.c. */
struct loom_cmd_opt
{
  const char *long_name; /* "workers" for --workers */
  int short_name;        /* 'j' for -j, 0 when there is none */
  const char *metavar;   /* the value's name ("N") when the option takes one, else NULL */
  const char *help;      /* one line for `netloom CMD --help` */
};

/* What main.c hands a command's exec function. */
struct loom_args
{
  const struct loom_cmd *cmd;
  int argc;    /* positional arguments, after the options (and after a "--") */
  char **argv; /* borrowed from main's argv; argv[argc] is NULL */
  /* Values of the entry's options, indexed like cmd->opts: set[i] tells whether the
   * option was given, value[i] is its last value (NULL for options without one). */
  bool set[LOOM_CMD_MAX_OPTS];
  const char *value[LOOM_CMD_MAX_OPTS];
  /* With LOOM_CMD_LAB_ARG and a positional argument 0: the deployed lab's name. */
  char *lab;
};

struct loom_cmd
{
  const char *name;
  const char *alias;               /* a second name (deploy: up), or NULL */
  const char *usage;               /* what follows the command name: "[OPTIONS] FILE" */
  const char *summary;             /* one line, for `netloom help` */
  const char *help;                /* a description, printed before the options; may be NULL */
  const char *example;             /* printed after the options; may be NULL */
  const struct loom_cmd_opt *opts; /* NULL when the command has no options */
  int min_args, max_args;          /* positional arguments; max -1 = no limit */
  unsigned flags;
  int (*exec) (struct loom_args *args); /* returns an exit code */
};

extern const struct loom_cmd loom_cmd_deploy;
extern const struct loom_cmd loom_cmd_destroy;
extern const struct loom_cmd loom_cmd_inspect;
extern const struct loom_cmd loom_cmd_list;
extern const struct loom_cmd loom_cmd_exec;
extern const struct loom_cmd loom_cmd_shell;
extern const struct loom_cmd loom_cmd_validate;
extern const struct loom_cmd loom_cmd_version;
extern const struct loom_cmd loom_cmd_help;
extern const struct loom_cmd loom_cmd_capture;
extern const struct loom_cmd loom_cmd_pcap;
extern const struct loom_cmd loom_cmd_supervisor;
extern const struct loom_cmd loom_cmd_supervise;
extern const struct loom_cmd loom_cmd_link;
extern const struct loom_cmd loom_cmd_node;
extern const struct loom_cmd loom_cmd_logs;
extern const struct loom_cmd loom_cmd_console;
extern const struct loom_cmd loom_cmd_image;

/* main.c: the command table, NULL-terminated, and lookup by name or alias. */
extern const struct loom_cmd *const loom_cmds[];
const struct loom_cmd *loom_cmd_find (const char *name);

/* How chatty the command is: -1 with -q, 0 by default, 1 with -v (debug logs). */
extern int loom_cli_verbosity;
/* loom_now() when main started; debug log lines show the time since. */
extern double loom_cli_start_time;

/* Whether the option named long_name was given, and its value. */
bool loom_args_has (const struct loom_args *args, const char *long_name);
const char *loom_args_get (const struct loom_args *args, const char *long_name);

/* Errors, printed once as "netloom: <command>: <message>". Each returns the exit code to
 * return, so a command can `return loom_cli_fail (...)`. */
int loom_cli_fail (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Prints err's text (and releases it); returns LOOM_EXIT_FAILURE. */
int loom_cli_fail_err (const char *cmd, loom_error_t *err);
/* A usage error: the message, then a pointer to --help. Returns LOOM_EXIT_USAGE. */
int loom_cli_usage_error (const char *cmd, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Adds "<what> lab '<lab>'" as context to *err, unless the message already names the lab
 * (the engine's errors usually do), so the lab's name is said once, not twice. */
void loom_cli_wrap_lab (loom_error_t *err, const char *what, const char *lab);

/* Prints `netloom --help`: the commands and the global options. */
void loom_cli_print_usage (FILE *out);
/* Prints `netloom CMD --help`. */
void loom_cli_print_cmd_help (const struct loom_cmd *cmd, FILE *out);

/* Parses a non-negative decimal integer no larger than max; -1 when it is not one. */
long loom_cli_parse_count (const char *text, long max);

/* The front end's log handler (stderr; debug lines only with -v). */
void loom_cli_log_handler (enum loom_log_level level, const char *msg, void *data);

/* Prints every diagnostic to stderr ("file:line:col: error: msg"). */
void loom_cli_print_diags (const struct loom_diags *diags);

/**
 * loom_cli_load_lab() - load a lab file the way deploy and validate need it.
 *
 * Parses and validates @path, runs loom_lab_check_supported() on the result and prints
 * every diagnostic, warnings included. Returns LOOM_EXIT_OK with *out set (owned by the
 * caller; loom_lab_free()), or the exit code (LOOM_EXIT_USAGE for a file with errors).
 */
int loom_cli_load_lab (const char *cmd, const char *path, struct loom_lab **out);

/* Whether text names a file rather than a lab (has a '/', a .yml/.yaml ending, or is an
 * existing regular file). */
bool loom_cli_is_lab_file (const char *text);

/* Resolves a lab name or lab file to the name of a deployed lab (owned by the caller).
 * A file whose lab was left behind before its state named the file is found through the
 * name inside it. Prints the error and returns the exit code when there is no such lab. */
int loom_cli_resolve_lab (const char *cmd, const char *name_or_file, char **out);

/* Whether a lab of that name has state (deployed, or left behind by a crash). */
bool loom_cli_lab_exists (const char *name);

/* Runs argv inside a node (loom_node_spawn) and returns its status as a shell would
 * ($?). While the child runs, Ctrl-C and Ctrl-\ are the child's business: it gets them
 * from the terminal, and we report how it ended instead of dying first. Prints a spawn
 * failure and returns LOOM_EXIT_FAILURE. */
int loom_cli_run_in_node (const char *cmd, const char *lab, const char *node, char *const argv[]);

/* Prints the inspect table of one or more lab states (state.json objects). */
void loom_cli_print_table (json_t *const *states, size_t n, FILE *out);

/* one or many, by n: "%zu %s", n, loom_cli_plural (n, "node", "nodes"). */
const char *loom_cli_plural (size_t n, const char *one, const char *many);

#endif
