/* Container nodes for real (root): a container from a rootfs directory and from the
 * built-in busybox image sees only its own processes and files, gets its binds (read-only
 * ones enforced), hostname, /etc/hosts, env, working directory and user; pings a host
 * node over a lab link; exec enters its namespaces; its output is logged; a volume
 * survives destroy and deploy until --cleanup; a memory limit kills what allocates more
 * and the status says so; stop/start keeps its files; and destroy, also after kill -9 of
 * the supervisor, leaves no cgroup, directory, process or mount. */
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#include "core/container.h"
#include "core/fault.h"
#include "core/supervisor.h"
#include "tests/netns/testlib.h"

static char rootfs[256];

/* A root file system directory: the host's busybox-static, its applets as relative
 * symlinks, and an /etc/passwd with a user "app" (1000:1000). */
static void
make_rootfs (void)
{
  loom_autofree char *bin = NULL;
  loom_autofree char *etc = NULL;
  loom_autofree char *list = NULL;
  char *line, *save = NULL;
  struct stat st;

  snprintf (rootfs, sizeof rootfs, "%s/rootfs", tl_tmpdir);
  if (stat (rootfs, &st) == 0)
    return;
  bin = loom_xasprintf ("%s/bin", rootfs);
  etc = loom_xasprintf ("%s/etc", rootfs);
  ck_assert_int_eq (loom_mkdir_p (bin, 0755, NULL), 0);
  ck_assert_int_eq (loom_mkdir_p (etc, 0755, NULL), 0);
  {
    loom_autofree char *tmp = loom_xasprintf ("%s/tmp", rootfs);
    ck_assert_int_eq (loom_mkdir_p (tmp, 0755, NULL), 0);
    chmod (tmp, 01777);
  }
  {
    loom_autofree char *dst = loom_xasprintf ("%s/busybox", bin);
    ck_assert_int_eq (tl_host_run (NULL, (const char *const[]){ "cp", "/bin/busybox", dst, NULL }),
                      0);
  }
  ck_assert_int_eq (tl_host_run (&list, (const char *const[]){ "/bin/busybox", "--list", NULL }),
                    0);
  for (line = strtok_r (list, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strcmp (line, "busybox") != 0)
      {
        loom_autofree char *l = loom_xasprintf ("%s/%s", bin, line);
        symlink ("busybox", l);
      }
  {
    loom_autofree char *p = loom_xasprintf ("%s/passwd", etc);
    loom_autofree char *g = loom_xasprintf ("%s/group", etc);
    const char *pw = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n";
    const char *gr = "root:x:0:\napp:x:1000:\n";
    ck_assert_int_eq (loom_write_file (p, pw, strlen (pw), NULL), 0);
    ck_assert_int_eq (loom_write_file (g, gr, strlen (gr), NULL), 0);
  }
}

/* Runs argv inside every namespace of a container; returns the status and the output. */
static int
ctr_run (const char *lab, const char *node, char **out, const char *const argv[])
{
  loom_autofree char *statedir = loom_xasprintf ("%s/%s", tl_rundir, lab);
  loom_error_t err = NULL;
  int pipefd[2], devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  struct loom_container_exec x = { .argv = (char *const *) argv, .stdin_fd = devnull };
  pid_t pid;

  ck_assert_int_eq (pipe2 (pipefd, O_CLOEXEC), 0);
  x.stdout_fd = x.stderr_fd = pipefd[1];
  pid = loom_container_spawn (statedir, node, &x, &err);
  close (pipefd[1]);
  close (devnull);
  if (pid < 0)
    {
      loom_autofree char *t = loom_error_text (err);
      ck_abort_msg ("exec %s in %s: %s", argv[0], node, t);
    }
  return tl_collect (pipefd[0], pid, out);
}

#define CTR_RUN(lab, node, ...)                                                                    \
  ctr_run ((lab), (node), NULL, (const char *const[]){ __VA_ARGS__, NULL })

/* Output of a shell command in a container, with the trailing newline cut. */
static char *
ctr_sh (const char *lab, const char *node, const char *script)
{
  char *out = NULL;
  int st = ctr_run (lab, node, &out, (const char *const[]){ "sh", "-c", script, NULL });
  ck_assert_msg (st == 0, "'%s' in %s exited %d: %s", script, node, st, out);
  out[strcspn (out, "\n")] = '\0';
  return out;
}

/* Waits (inotify, bounded) until a file contains text. */
static bool
wait_file_has (const char *path, const char *text, int ms)
{
  int ino = inotify_init1 (IN_CLOEXEC);
  double end = loom_now () + ms / 1000.0;
  bool found = false;

  inotify_add_watch (ino, path, IN_MODIFY);
  for (;;)
    {
      loom_autofree char *data = NULL;
      struct pollfd p = { .fd = ino, .events = POLLIN };
      char buf[4096];
      if (loom_read_file (path, &data, NULL, NULL) == 0 && strstr (data, text))
        {
          found = true;
          break;
        }
      if (loom_now () >= end || poll (&p, 1, (int) ((end - loom_now ()) * 1000) + 1) <= 0)
        break;
      (void) !read (ino, buf, sizeof buf);
    }
  close (ino);
  return found;
}

/* The supervisor's status of one container. */
static json_t *
ctr_status (const char *lab, const char *node)
{
  json_t *req = json_pack ("{s:s}", "cmd", "status");
  json_t *resp = loom_supervisor_call (lab, req, NULL), *st;
  json_decref (req);
  ck_assert_msg (resp != NULL, "no status from the supervisor of %s", lab);
  st = json_incref (json_object_get (json_object_get (resp, "containers"), node));
  json_decref (resp);
  ck_assert_msg (st != NULL, "no status of container %s", node);
  return st;
}

/* No cgroup, container directory or init process of the lab is left. */
static void
assert_no_container_leftovers (const char *lab, const char *node)
{
  loom_autofree char *cg
      = loom_xasprintf ("/sys/fs/cgroup/memory/netloom/%s-%s-%s", tl_prefix, lab, node);
  loom_autofree char *cg2
      = loom_xasprintf ("/sys/fs/cgroup/netloom/%s-%s-%s", tl_prefix, lab, node);
  loom_autofree char *dir = loom_xasprintf ("%s/%s/containers", tl_rundir, lab);
  loom_autofree char *ns = loom_xasprintf ("%s-%s-", tl_prefix, lab);
  struct stat st;
  DIR *d = opendir ("/proc");
  struct dirent *de;

  loom_autofree char *cgc
      = loom_xasprintf ("/sys/fs/cgroup/cpu/netloom/%s-%s-%s", tl_prefix, lab, node);
  ck_assert_msg (stat (cg, &st) < 0 && stat (cg2, &st) < 0 && stat (cgc, &st) < 0,
                 "cgroup of %s remains", node);
  ck_assert_msg (stat (dir, &st) < 0, "%s remains", dir);
  /* Nothing of the container was ever mounted where the host sees it. */
  {
    loom_autofree char *mounts = NULL;
    ck_assert_int_eq (loom_read_file ("/proc/self/mountinfo", &mounts, NULL, NULL), 0);
    ck_assert_msg (!strstr (mounts, dir), "a mount of %s is on the host", dir);
  }
  while (d && (de = readdir (d)))
    {
      char p[300];
      loom_autofree char *env = NULL;
      size_t len;
      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      /* A container's init calls itself "netloom-init <prefix>-<lab>-<node>". */
      snprintf (p, sizeof p, "/proc/%s/comm", de->d_name);
      if (loom_read_file (p, &env, &len, NULL) == 0 && strncmp (env, "netloom-init", 12) == 0)
        {
          loom_autofree char *cmd = NULL;
          size_t i;
          snprintf (p, sizeof p, "/proc/%s/cmdline", de->d_name);
          if (loom_read_file (p, &cmd, &len, NULL) == 0)
            {
              for (i = 0; i + 1 < len; i++)
                if (cmd[i] == '\0')
                  cmd[i] = ' ';
              ck_assert_msg (!strstr (cmd, ns), "container init %s of %s still runs", de->d_name,
                             lab);
            }
        }
    }
  if (d)
    closedir (d);
}

START_TEST (test_rootfs_container)
{
  loom_autofree char *share = loom_xasprintf ("%s/share", tl_tmpdir);
  loom_autofree char *ro = loom_xasprintf ("%s/ro", tl_tmpdir);
  loom_autofree char *marker = loom_xasprintf ("%s/secret-marker", tl_tmpdir);
  loom_autofree char *log = loom_xasprintf ("%s/netloom-ctr/logs/c1.log", tl_tmpdir);
  loom_autofree char *test_marker = NULL;
  loom_autofree char *s = NULL;
  loom_autofree char *body = NULL;
  struct loom_lab *lab;

  make_rootfs ();
  ck_assert_int_eq (loom_mkdir_p (share, 0755, NULL), 0);
  ck_assert_int_eq (loom_mkdir_p (ro, 0755, NULL), 0);
  /* Writable by the container's user: only the read-only bind stops it. */
  chmod (share, 0777);
  chmod (ro, 0777);
  ck_assert_int_eq (loom_write_file (marker, "x", 1, NULL), 0);
  {
    loom_autofree char *m = loom_xasprintf ("%s/marker", share);
    ck_assert_int_eq (loom_write_file (m, "shared\n", 7, NULL), 0);
  }
  body = loom_xasprintf (
      "topology:\n"
      "  nodes:\n"
      "    c1:\n"
      "      kind: linux\n"
      "      rootfs: %s\n"
      "      cmd: [\"sh\", \"-c\", \"echo hello-from-c1 $FOO; exec sleep 3600\"]\n"
      "      env: {FOO: bar}\n"
      "      hostname: web1\n"
      "      workdir: /work\n"
      "      user: app\n"
      "      binds: [\"%s:/share\", \"%s:/ro:ro\"]\n"
      "    h1: {kind: host}\n"
      "  links:\n"
      "    - endpoints: [\"c1:eth1\", \"h1:eth1\"]\n"
      "      ipv4: [\"10.77.0.1/24\", \"10.77.0.2/24\"]\n",
      rootfs, share, ro);
  lab = tl_load ("ctr", body);
  tl_deploy_ok (lab);

  /* Its mounts are its own: the host's mount table has none of them. */
  {
    loom_autofree char *mounts = NULL;
    loom_autofree char *cdir = loom_xasprintf ("%s/ctr/containers", tl_rundir);
    ck_assert_int_eq (loom_read_file ("/proc/self/mountinfo", &mounts, NULL, NULL), 0);
    ck_assert_msg (!strstr (mounts, cdir) && !strstr (mounts, rootfs),
                   "container mounts on the host");
  }
  /* Its own PID namespace: PID 1 is our init, and only a few processes are there. */
  free (s), s = ctr_sh ("ctr", "c1", "cat /proc/1/comm");
  ck_assert_str_eq (s, "netloom-init");
  free (s), s = ctr_sh ("ctr", "c1", "ls /proc | grep -c '^[0-9]'");
  ck_assert_msg (atoi (s) <= 5, "%s processes visible", s);
  /* Its own files: a host file outside its binds is not there; the binds are. */
  test_marker = loom_xasprintf ("test ! -e %s && test ! -e /tmp/secret-marker", marker);
  free (s), s = ctr_sh ("ctr", "c1", test_marker);
  free (s), s = ctr_sh ("ctr", "c1", "cat /share/marker");
  ck_assert_str_eq (s, "shared");
  ck_assert_int_ne (CTR_RUN ("ctr", "c1", "touch", "/ro/x"), 0);
  ck_assert_int_eq (CTR_RUN ("ctr", "c1", "touch", "/share/from-c1"), 0);
  {
    loom_autofree char *p = loom_xasprintf ("%s/from-c1", share);
    struct stat st;
    ck_assert_msg (stat (p, &st) == 0 && st.st_uid == 1000, "a bind writes through to the host");
  }
  /* Hostname, /etc/hosts, env, working directory, user. */
  free (s), s = ctr_sh ("ctr", "c1", "hostname; cat /etc/hostname");
  ck_assert_str_eq (s, "web1");
  free (s),
      s = ctr_sh (
          "ctr", "c1",
          "grep -c -e '^10.77.0.2[[:space:]]h1$' -e '^10.77.0.1[[:space:]]c1 web1$' /etc/hosts");
  ck_assert_str_eq (s, "2");
  free (s), s = ctr_sh ("ctr", "c1", "echo $FOO:$HOSTNAME:$(pwd):$(id -u):$(id -g):$HOME");
  ck_assert_str_eq (s, "bar:web1:/work:1000:1000:/home/app");
  /* The lab link (busybox's ping needs root: the other way round is in the busybox
   * test). */
  ck_assert (tl_ping ("ctr", "h1", "10.77.0.1"));
  /* Its output is in its log. */
  ck_assert_msg (wait_file_has (log, "hello-from-c1 bar", 5000), "log %s", log);

  /* Stop and start: the processes go and come back, files written stay. */
  ck_assert_int_eq (CTR_RUN ("ctr", "c1", "sh", "-c", "echo kept > /tmp/file"), 0);
  ck_assert_int_eq (loom_lab_node_set ("ctr", "c1", false, NULL), 0);
  {
    json_t *st = ctr_status ("ctr", "c1");
    ck_assert_str_eq (json_string_value (json_object_get (st, "state")), "stopped");
    json_decref (st);
  }
  ck_assert_int_eq (loom_lab_node_set ("ctr", "c1", true, NULL), 0);
  free (s), s = ctr_sh ("ctr", "c1", "cat /tmp/file");
  ck_assert_str_eq (s, "kept");

  tl_destroy_ok ("ctr");
  tl_assert_clean ("ctr");
  assert_no_container_leftovers ("ctr", "c1");
  loom_lab_free (lab);
}
END_TEST

static const char one_busybox[]
    = "topology:\n"
      "  nodes:\n"
      "    b1: {kind: container, image: busybox, cmd: [sleep, \"3600\"]}\n"
      "    b2: {kind: container, image: busybox, cmd: \"sh -c 'sleep 3600 & sleep 3600'\",\n"
      "         memory: 64M}\n"
      "    h1: {kind: host}\n"
      "  links:\n"
      "    - endpoints: [\"b1:eth1\", \"h1:eth1\"]\n"
      "      ipv4: [\"10.78.0.1/24\", \"10.78.0.2/24\"]\n";

START_TEST (test_busybox_volume_and_memory_limit)
{
  struct loom_lab *lab
      = tl_load ("vol", "topology:\n"
                        "  nodes:\n"
                        "    b1:\n"
                        "      kind: container\n"
                        "      image: busybox\n"
                        "      cmd: sleep 3600\n"
                        "      volumes: [\"keep:/data\"]\n"
                        "      memory: 32M\n"
                        "      cpu: 0.5\n"
                        "    b2:\n"
                        "      kind: container\n"
                        "      image: busybox\n"
                        "      cmd: [dd, if=/dev/zero, of=/dev/null, bs=64M, count=1]\n"
                        "      memory: 32M\n"
                        "    h1: {kind: host}\n"
                        "  links:\n"
                        "    - endpoints: [\"b1:eth1\", \"h1:eth1\"]\n"
                        "      ipv4: [\"10.78.0.1/24\", \"10.78.0.2/24\"]\n");
  loom_autofree char *voldir = loom_xasprintf ("%s/netloom-vol/volumes/keep", tl_tmpdir);
  loom_autofree char *s = NULL;
  struct stat st;
  json_t *status;

  tl_deploy_ok (lab);

  free (s), s = ctr_sh ("vol", "b1", "echo survives > /data/f; cat /proc/1/comm");
  ck_assert_str_eq (s, "netloom-init");
  ck_assert_int_eq (CTR_RUN ("vol", "b1", "ping", "-c", "1", "-W", "2", "10.78.0.2"), 0);
  /* Half a CPU: a quota of half of each period, in whichever hierarchy has cpu. */
  {
    loom_autofree char *v1
        = loom_xasprintf ("/sys/fs/cgroup/cpu/netloom/%s-vol-b1/cpu.cfs_quota_us", tl_prefix);
    loom_autofree char *v2 = loom_xasprintf ("/sys/fs/cgroup/netloom/%s-vol-b1/cpu.max", tl_prefix);
    loom_autofree char *q = NULL;
    if (loom_read_file (v1, &q, NULL, NULL) == 0)
      ck_assert_int_eq (atoi (q), 50000);
    else
      {
        ck_assert_int_eq (loom_read_file (v2, &q, NULL, NULL), 0);
        ck_assert_msg (strncmp (q, "50000 100000", 12) == 0, "cpu.max: %s", q);
      }
  }
  /* More than the limit: the OOM killer ends it (SIGKILL: 137), and the status tells. */
  ck_assert_int_eq (
      CTR_RUN ("vol", "b1", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"), 137);
  ck_assert_int_eq (CTR_RUN ("vol", "b1", "dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"),
                    0);
  status = ctr_status ("vol", "b1");
  ck_assert_str_eq (json_string_value (json_object_get (status, "state")), "running");
  ck_assert_int_ge (json_integer_value (json_object_get (status, "oom_kills")), 1);
  {
    loom_autofree char *d = loom_container_describe (status);
    ck_assert_msg (strstr (d, "killed by the OOM killer (limit 32 MiB)"), "%s", d);
  }
  json_decref (status);
  /* b2's command itself was killed: wait for its init to be gone, then ask. */
  {
    loom_autofree char *init = loom_xasprintf ("%s/vol/containers/b2/init.json", tl_rundir);
    json_t *o = json_load_file (init, 0, NULL);
    if (o)
      {
        int fd = (int) syscall (SYS_pidfd_open,
                                (pid_t) json_integer_value (json_object_get (o, "pid")), 0);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (fd >= 0)
          {
            ck_assert_int_eq (poll (&p, 1, 10000), 1);
            close (fd);
          }
        json_decref (o);
      }
    status = ctr_status ("vol", "b2");
    ck_assert_str_eq (json_string_value (json_object_get (status, "state")), "exited");
    {
      loom_autofree char *d = loom_container_describe (status);
      ck_assert_str_eq (d, "exited 137 — killed: out of memory (limit 32 MiB)");
    }
    json_decref (status);
  }

  /* destroy keeps the volume; the next deploy finds it; --cleanup removes it. */
  ck_assert_int_eq (loom_lab_destroy ("vol", 0, NULL), 0);
  ck_assert_msg (stat (voldir, &st) == 0, "volume gone after destroy");
  assert_no_container_leftovers ("vol", "b1");
  tl_deploy_ok (lab);
  free (s), s = ctr_sh ("vol", "b1", "cat /data/f");
  ck_assert_str_eq (s, "survives");
  tl_destroy_ok ("vol");
  ck_assert_msg (stat (voldir, &st) < 0, "volume remains after destroy --cleanup");
  tl_assert_clean ("vol");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_kill9_supervisor_then_destroy)
{
  struct loom_lab *lab = tl_load ("k9", one_busybox);
  pid_t sup;

  tl_deploy_ok (lab);
  ck_assert_int_eq (CTR_RUN ("k9", "b2", "true"), 0);
  sup = tl_find_supervisor ("k9");
  ck_assert_int_gt (sup, 0);
  ck_assert_int_eq (kill (sup, SIGKILL), 0);
  tl_destroy_ok ("k9");
  tl_assert_clean ("k9");
  assert_no_container_leftovers ("k9", "b1");
  assert_no_container_leftovers ("k9", "b2");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_command_that_cannot_run_rolls_back)
{
  struct loom_lab *lab = tl_load ("badcmd", one_busybox);
  loom_error_t err = NULL;
  loom_autofree char *t = NULL;

  free (loom_lab_find_node (lab, "b2")->cmd[0]);
  loom_lab_find_node (lab, "b2")->cmd[0] = loom_xstrdup ("/no/such/program");
  ck_assert_int_lt (loom_lab_deploy (lab, NULL, &err), 0);
  t = loom_error_text (err);
  ck_assert_msg (strstr (t, "container b2") && strstr (t, "cannot run '/no/such/program'"), "%s",
                 t);
  loom_error_release (&err);
  tl_assert_clean ("badcmd");
  assert_no_container_leftovers ("badcmd", "b1");
  loom_lab_free (lab);
}
END_TEST

/* Docker's rules: cmd replaces the image's Cmd; entrypoint replaces its Entrypoint and
 * clears its Cmd unless cmd is given too. busybox's Cmd is sh, which stays up (its
 * stdin is held open). */
START_TEST (test_entrypoint_and_cmd_rules)
{
  struct loom_lab *lab = tl_load (
      "rules", "topology:\n"
               "  nodes:\n"
               "    e1: {kind: linux, image: busybox, entrypoint: [echo, ep]}\n"
               "    e2: {kind: linux, image: busybox, entrypoint: [echo, ep], cmd: [c]}\n"
               "    e3: {kind: linux, image: busybox, cmd: echo only}\n"
               "    e4: {kind: linux, image: busybox}\n");
  static const char *const want[][2] = { { "e1", "ep\n" }, { "e2", "ep c\n" }, { "e3", "only\n" } };
  size_t i;

  tl_deploy_ok (lab);
  for (i = 0; i < 3; i++)
    {
      loom_autofree char *log
          = loom_xasprintf ("%s/netloom-rules/logs/%s.log", tl_tmpdir, want[i][0]);
      loom_autofree char *text = NULL;
      ck_assert_msg (wait_file_has (log, want[i][1], 5000), "%s", want[i][0]);
      ck_assert_int_eq (loom_read_file (log, &text, NULL, NULL), 0);
      ck_assert_str_eq (text, want[i][1]);
    }
  {
    json_t *st = ctr_status ("rules", "e4");
    ck_assert_str_eq (json_string_value (json_object_get (st, "state")), "running");
    json_decref (st);
  }
  ck_assert_int_eq (CTR_RUN ("rules", "e4", "sh", "-c", "test \"$(cat /proc/2/comm)\" = sh"), 0);
  tl_destroy_ok ("rules");
  tl_assert_clean ("rules");
  loom_lab_free (lab);
}
END_TEST

static const char small_lab[] = "topology:\n"
                                "  nodes:\n"
                                "    c1:\n"
                                "      kind: linux\n"
                                "      image: busybox\n"
                                "      cmd: sleep 3600\n"
                                "      memory: 64M\n"
                                "      volumes: [\"v:/v\"]\n"
                                "      exec: [\"echo hi > /v/f\"]\n"
                                "    h1: {kind: host}\n"
                                "  links:\n"
                                "    - endpoints: [\"c1:eth1\", \"h1:eth1\"]\n"
                                "      ipv4: [\"10.80.0.1/24\", \"10.80.0.2/24\"]\n";

/* Every step a deploy with a container takes, failing (rolled back) or killed (then
 * destroyed): nothing of the container is left — cgroup, directory, volume, process. */
START_TEST (test_container_rollback_and_kill9_at_every_step)
{
  struct loom_lab *lab = tl_load ("cfault", small_lab);
  int steps, n;
  char num[16];

  setenv ("NETLOOM_FAULT_STEP", "1000000", 1);
  tl_deploy_ok (lab);
  unsetenv ("NETLOOM_FAULT_STEP");
  tl_destroy_ok ("cfault");
  steps = loom_fault_steps ();
  ck_assert_int_gt (steps, 5);
  for (n = 1; n <= steps; n++)
    {
      loom_error_t err = NULL;
      pid_t pid;
      int status;

      snprintf (num, sizeof num, "%d", n);
      setenv ("NETLOOM_FAULT_STEP", num, 1);
      ck_assert_msg (loom_lab_deploy (lab, NULL, &err) < 0, "step %d: deploy did not fail", n);
      ck_assert_msg (strstr (err->msg, "rolled back"), "step %d: %s", n, err->msg);
      loom_error_release (&err);
      unsetenv ("NETLOOM_FAULT_STEP");
      tl_assert_clean ("cfault");
      assert_no_container_leftovers ("cfault", "c1");

      pid = fork ();
      ck_assert_int_ge (pid, 0);
      if (pid == 0)
        {
          setenv ("NETLOOM_FAULT_STEP", num, 1);
          setenv ("NETLOOM_FAULT_CRASH", "1", 1);
          loom_lab_deploy (lab, NULL, NULL);
          _exit (0);
        }
      ck_assert_int_eq (waitpid (pid, &status, 0), pid);
      ck_assert_msg (WIFSIGNALED (status), "step %d: deploy was not killed", n);
      if (loom_lab_destroy ("cfault", LOOM_DESTROY_CLEANUP, &err) < 0)
        {
          ck_assert_msg (strstr (err->msg, "no lab named"), "step %d: %s", n, err->msg);
          loom_error_release (&err);
        }
      tl_assert_clean ("cfault");
      assert_no_container_leftovers ("cfault", "c1");
    }
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_missing_image_fails_before_deploy)
{
  struct loom_lab *lab = tl_load ("noimg", "topology:\n"
                                           "  nodes:\n"
                                           "    c1: {kind: linux, image: no-such-image:1}\n");
  loom_error_t err = NULL;
  loom_autofree char *t = NULL;

  ck_assert_int_lt (loom_lab_deploy (lab, NULL, &err), 0);
  t = loom_error_text (err);
  ck_assert_msg (strstr (t, "noimg.yaml:5:30:") && strstr (t, "no-such-image"), "%s", t);
  loom_error_release (&err);
  tl_assert_clean ("noimg");
  loom_lab_free (lab);
}
END_TEST

static Suite *
container_suite (void)
{
  Suite *s = suite_create ("container");
  TCase *tc = tcase_create ("netns");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_rootfs_container);
  tcase_add_test (tc, test_busybox_volume_and_memory_limit);
  tcase_add_test (tc, test_kill9_supervisor_then_destroy);
  tcase_add_test (tc, test_command_that_cannot_run_rolls_back);
  tcase_add_test (tc, test_entrypoint_and_cmd_rules);
  tcase_add_test (tc, test_container_rollback_and_kill9_at_every_step);
  tcase_add_test (tc, test_missing_image_fails_before_deploy);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tl_main (container_suite, "test_container");
}
