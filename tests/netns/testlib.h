/* Helpers for the netns tests: isolated state roots and namespace prefixes per run,
 * lab files written to a temporary directory, running commands inside nodes, and the
 * "nothing is left behind" check. Root only; these build real namespaces. */
#ifndef LOOM_TESTLIB_H
#define LOOM_TESTLIB_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/log.h"
#include "core/netns.h"
#include "core/spawn.h"
#include "core/util.h"
#include "topology/model.h"

/* Set once per test program by tl_setup_run(). */
static char tl_prefix[32];
static char tl_rundir[128];
static char tl_tmpdir[128];

static void
tl_log (enum loom_log_level level, const char *msg, void *data)
{
  if (level >= LOOM_LOG_WARNING || getenv ("TL_VERBOSE"))
    fprintf (stderr, "  [netloom] %s\n", msg);
}

/* A run-unique namespace prefix and state root, so leftovers of other runs or labs a
 * developer has deployed are never touched. */
static void
tl_setup_run (void)
{
  const char *p = getenv ("NETLOOM_TEST_PREFIX");
  snprintf (tl_prefix, sizeof tl_prefix, "%s%d", p ? p : "tn", (int) getpid () % 100000);
  snprintf (tl_rundir, sizeof tl_rundir, "/run/netloom-test/%s", tl_prefix);
  snprintf (tl_tmpdir, sizeof tl_tmpdir, "/tmp/netloom-test-%s", tl_prefix);
  setenv ("NETLOOM_RUN_DIR", tl_rundir, 1);
  /* The supervisor deploy starts is the netloom binary (this program is not). */
  if (getenv ("NETLOOM_EXE") == NULL)
    {
      char real[4096];
      const char *exe = getenv ("NETLOOM") ? getenv ("NETLOOM") : "build/netloom";
      setenv ("NETLOOM_EXE", realpath (exe, real) ? real : exe, 1);
    }
  mkdir ("/run/netloom-test", 0755);
  mkdir (tl_tmpdir, 0755);
  loom_log_set_handler (tl_log, NULL);
}

static void
tl_teardown_run (void)
{
  char **names = NULL;
  loom_error_t err = NULL;
  size_t i;

  /* Whatever a failed test left: destroy through the engine, then the dirs. */
  if (loom_lab_list (&names, &err) == 0)
    {
      for (i = 0; names[i]; i++)
        {
          loom_lab_destroy (names[i], LOOM_DESTROY_CLEANUP, NULL);
          free (names[i]);
        }
      free (names);
    }
  loom_error_release (&err);
  loom_rm_rf (tl_rundir, NULL);
  loom_rm_rf (tl_tmpdir, NULL);
  rmdir ("/run/netloom-test");
}

/* Writes a lab file (printf-style; the template gets the prefix through %1$s if it
 * wants it, but the prefix line is added here) and loads it. */
static inline struct loom_lab *
tl_load (const char *name, const char *body)
{
  loom_autofree char *path = loom_xasprintf ("%s/%s.yaml", tl_tmpdir, name);
  loom_autofree char *text
      = loom_xasprintf ("name: %s\nprefix: %s\n%s", name, tl_prefix, body);
  struct loom_diags diags = { 0 };
  struct loom_lab *lab;
  size_t i;

  ck_assert_int_eq (loom_write_file (path, text, strlen (text), NULL), 0);
  lab = loom_topology_load (path, &diags);
  for (i = 0; i < diags.n; i++)
    {
      char *s = loom_diag_format (&diags.items[i]);
      fprintf (stderr, "%s\n", s);
      free (s);
    }
  ck_assert_msg (lab != NULL, "lab %s does not load", name);
  loom_diags_clear (&diags);
  return lab;
}

static inline void
tl_deploy_ok (const struct loom_lab *lab)
{
  loom_error_t err = NULL;
  if (loom_lab_deploy (lab, NULL, &err) < 0)
    {
      char *s = loom_error_text (err);
      ck_abort_msg ("deploy %s: %s", lab->name, s);
    }
}

/* Destroys a lab, its captures included (see tl_destroy_keep). */
static inline void
tl_destroy_ok (const char *name)
{
  loom_error_t err = NULL;
  if (loom_lab_destroy (name, LOOM_DESTROY_CLEANUP, &err) < 0)
    {
      char *s = loom_error_text (err);
      ck_abort_msg ("destroy %s: %s", name, s);
    }
}

/* Reads a child's output from @fd to its end (then closes @fd), waits for @pid and
 * returns its exit status; *out (when given) receives the output. */
static inline int
tl_collect (int fd, pid_t pid, char **out)
{
  size_t cap = 4096, n = 0;
  char *buf = loom_xmalloc (cap);
  ssize_t r;

  while ((r = read (fd, buf + n, cap - n - 1)) > 0)
    if ((n += r) + 1 >= cap)
      buf = loom_xrealloc (buf, cap *= 2);
  buf[n] = '\0';
  close (fd);
  if (out)
    *out = buf;
  else
    free (buf);
  return loom_wait_status (pid);
}

/* Runs argv in a node; returns the exit status and, when out is given, its output. */
static int
tl_run (const char *lab, const char *node, char **out, const char *const argv[])
{
  loom_autofree char *ns = loom_xasprintf ("%s-%s-%s", tl_prefix, lab, node);
  loom_error_t err = NULL;
  int pipefd[2];
  int nsfd = loom_netns_open (ns, &err);
  pid_t pid;

  ck_assert_msg (nsfd >= 0, "namespace %s missing", ns);
  ck_assert_int_eq (pipe2 (pipefd, O_CLOEXEC), 0);
  {
    int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    struct loom_spawn s = {
      .nsfd = nsfd,
      .argv = (char *const *) argv,
      .stdin_fd = devnull,
      .stdout_fd = pipefd[1],
      .stderr_fd = pipefd[1],
    };
    pid = loom_spawn_in_ns (&s, &err);
    close (devnull);
  }
  close (pipefd[1]);
  close (nsfd);
  ck_assert_msg (pid > 0, "spawn %s in %s", argv[0], node);
  return tl_collect (pipefd[0], pid, out);
}

/* Runs a program on the host (not in a node); returns its status and stdout. */
static inline int
tl_host_run (char **out, const char *const argv[])
{
  int pipefd[2];
  pid_t pid;

  ck_assert_int_eq (pipe2 (pipefd, O_CLOEXEC), 0);
  pid = fork ();
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDWR);
      dup2 (devnull, 0);
      dup2 (pipefd[1], 1);
      dup2 (devnull, 2);
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  close (pipefd[1]);
  return tl_collect (pipefd[0], pid, out);
}

/* Lines of output. */
static inline int
tl_count_lines (const char *s)
{
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

#define TL_RUN(lab, node, ...) tl_run ((lab), (node), NULL, (const char *const[]){ __VA_ARGS__, NULL })

static inline bool
tl_ping (const char *lab, const char *node, const char *addr)
{
  bool v6 = strchr (addr, ':') != NULL;
  return TL_RUN (lab, node, "ping", v6 ? "-6" : "-4", "-c", "1", "-W", "2", addr) == 0;
}

/* Counts entries of /run/netns and lines of our mountinfo that carry our prefix. */
static int
tl_count_leftovers (const char *lab, char *what, size_t len)
{
  loom_autofree char *needle = loom_xasprintf ("%s-%s-", tl_prefix, lab);
  loom_autofree char *mounts = NULL;
  int n = 0;
  DIR *d = opendir (LOOM_NETNS_DIR);
  struct dirent *de;
  char *line, *save = NULL;

  what[0] = '\0';
  if (d)
    {
      while ((de = readdir (d)))
        if (strncmp (de->d_name, needle, strlen (needle)) == 0)
          {
            n++;
            snprintf (what + strlen (what), len - strlen (what), "netns %s; ", de->d_name);
          }
      closedir (d);
    }
  if (loom_read_file ("/proc/self/mountinfo", &mounts, NULL, NULL) == 0)
    for (line = strtok_r (mounts, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      if (strstr (line, needle) && strstr (line, "/run/netns/"))
        {
          n++;
          snprintf (what + strlen (what), len - strlen (what), "mount; ");
        }
  return n;
}

/* The pid of a process running `netloom supervise` for a lab of this run, or 0. */
static pid_t
tl_find_supervisor (const char *lab)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  pid_t found = 0;

  while (d && (de = readdir (d)) && !found)
    {
      char path[300];
      loom_autofree char *cmd = NULL;
      size_t len, i, argc = 0;
      const char *argv[16];
      bool ours = false;

      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      snprintf (path, sizeof path, "/proc/%s/cmdline", de->d_name);
      if (loom_read_file (path, &cmd, &len, NULL) < 0 || len == 0)
        continue;
      for (i = 0; i < len && argc < 16; i += strlen (cmd + i) + 1)
        argv[argc++] = cmd + i;
      for (i = 0; i + 1 < argc; i++)
        if (strcmp (argv[i], "--run-dir") == 0 && strcmp (argv[i + 1], tl_rundir) == 0)
          ours = true;
      if (ours && argc > 2 && strcmp (argv[1], "supervise") == 0 && strcmp (argv[argc - 1], lab) == 0)
        found = atoi (de->d_name);
    }
  if (d)
    closedir (d);
  return found;
}

/* Asserts nothing of lab `name` remains: namespaces, mounts, state, lab directory, its
 * supervisor, and no child process of ours. */
static inline void
tl_assert_clean (const char *name)
{
  char what[1024];
  struct stat st;
  loom_autofree char *state = loom_xasprintf ("%s/%s", tl_rundir, name);
  loom_autofree char *labdir = loom_xasprintf ("%s/netloom-%s", tl_tmpdir, name);
  int n = tl_count_leftovers (name, what, sizeof what);

  ck_assert_msg (n == 0, "leftovers of lab %s: %s", name, what);
  ck_assert_msg (stat (state, &st) < 0, "state dir %s remains", state);
  ck_assert_msg (stat (labdir, &st) < 0, "lab dir %s remains", labdir);
  ck_assert_msg (waitpid (-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child process remains");
  ck_assert_msg (tl_find_supervisor (name) == 0, "the supervisor of %s still runs", name);
}

/* A one-shot iperf3 server in a node, bound to addr, returned once it listens (its
 * "listening" line: an event, not a delay). tl_iperf_server_end() waits for it. */
struct tl_iperf
{
  pid_t pid;
  FILE *out;
};

static inline struct tl_iperf
tl_iperf_server (const char *lab, const char *node, const char *addr)
{
  loom_autofree char *ns = loom_xasprintf ("%s-%s-%s", tl_prefix, lab, node);
  struct tl_iperf s;
  int pipefd[2];
  char line[256];
  bool listening = false;

  ck_assert_int_eq (pipe (pipefd), 0);
  s.pid = fork ();
  if (s.pid == 0)
    {
      dup2 (pipefd[1], 1);
      close (pipefd[0]);
      execlp ("ip", "ip", "netns", "exec", ns, "iperf3", "-s", "-1", "-B", addr, "--forceflush",
              (char *) NULL);
      _exit (127);
    }
  close (pipefd[1]);
  s.out = fdopen (pipefd[0], "r");
  while (!listening && fgets (line, sizeof line, s.out))
    listening = strstr (line, "listening") != NULL;
  ck_assert_msg (listening, "iperf3 server in %s did not start", node);
  return s;
}

static inline void
tl_iperf_server_end (struct tl_iperf *s)
{
  char line[256];
  while (fgets (line, sizeof line, s->out))
    ;
  fclose (s->out);
  loom_wait_status (s->pid);
}

/* main() of a netns test program: root check, a run of its own, the suite. */
static inline int
tl_main (Suite *(*make_suite) (void), const char *program)
{
  SRunner *sr;
  int failed;

  if (geteuid () != 0)
    {
      fprintf (stderr, "%s needs root (real network namespaces)\n", program);
      return 77;
    }
  tl_setup_run ();
  sr = srunner_create (make_suite ());
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  tl_teardown_run ();
  return failed ? 1 : 0;
}

#endif
