/* Tests of the image store's library interface (core/image.h) as a container kind uses
 * it: loom_image_resolve() of the built-in busybox and host images, of an image
 * imported with loom_image_import() from an archive tests/e2e/mkimage.sh builds, of
 * aliases, and its error for a missing image. Each test gets a store of its own in a
 * temp dir ($NETLOOM_IMAGE_DIR). Needs root (layers keep their owners and devices). */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/image.h"
#include "core/util.h"

static char store[] = "/tmp/netloom-test-image.XXXXXX";
static bool have_store;

static void
setup (void)
{
  strcpy (store, "/tmp/netloom-test-image.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (store));
  have_store = true;
  setenv ("NETLOOM_IMAGE_DIR", store, 1);
  {
    loom_autofree char *al = loom_xasprintf ("%s/aliases.yaml", store);
    setenv ("NETLOOM_IMAGE_ALIASES", al, 1);
  }
}

static void
teardown (void)
{
  loom_error_t err = NULL;
  if (have_store)
    loom_rm_rf (store, &err);
  loom_error_release (&err);
  have_store = false;
}

/* tests/e2e/mkimage.sh, from the working directory (make runs from the top) or from
 * the test binary's path (build/tests/unit/test_image). */
static char *
mkimage_path (void)
{
  char exe[PATH_MAX];
  ssize_t n;
  char *dir, *p;
  int up;

  if (access ("tests/e2e/mkimage.sh", R_OK) == 0)
    return loom_xstrdup ("tests/e2e/mkimage.sh");
  n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  ck_assert_int_gt (n, 0);
  exe[n] = '\0';
  dir = loom_xstrdup (exe);
  for (up = 0; up < 4 && (p = strrchr (dir, '/')); up++)
    *p = '\0';
  p = loom_xasprintf ("%s/tests/e2e/mkimage.sh", dir);
  free (dir);
  return p;
}

/* Builds the test image (two layers, httpd config) with mkimage.sh; returns its path. */
static char *
make_archive (const char *name, bool oci)
{
  loom_autofree char *script = mkimage_path ();
  char *out = loom_xasprintf ("%s/%s.tar", store, oci ? "oci" : "docker");
  pid_t pid = fork ();
  int status;

  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      if (oci)
        execlp ("sh", "sh", script, out, "--name", name, "--oci", "--gzip", (char *) NULL);
      else
        execlp ("sh", "sh", script, out, "--name", name, (char *) NULL);
      _exit (127);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "mkimage.sh failed");
  return out;
}

static bool
strv_has (char **v, size_t n, const char *s)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

START_TEST (test_busybox_builtin)
{
  loom_error_t err = NULL;
  struct loom_image *img = loom_image_resolve ("busybox", &err);
  char link[64];
  ssize_t n;
  loom_autofree char *sh = NULL;

  ck_assert_msg (img != NULL, "resolve busybox: %s", err ? err->msg : "");
  ck_assert_str_eq (img->id, "builtin:busybox");
  ck_assert_str_eq (img->name, "busybox:latest");
  ck_assert_uint_eq (img->n_layers, 1);
  ck_assert_uint_eq (strncmp (img->layers[0], store, strlen (store)), 0);
  sh = loom_xasprintf ("%s/bin/sh", img->layers[0]);
  n = readlink (sh, link, sizeof link - 1);
  ck_assert_int_gt (n, 0);
  link[n] = '\0';
  ck_assert_str_eq (link, "busybox");
  ck_assert_uint_eq (img->n_cmd, 1);
  ck_assert_str_eq (img->cmd[0], "sh");
  ck_assert (strv_has (img->env, img->n_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
  ck_assert (loom_image_exists ("busybox:latest"));
  loom_image_free (img);
}
END_TEST

START_TEST (test_host_builtin)
{
  loom_error_t err = NULL;
  struct loom_image *img = loom_image_resolve ("host", &err);

  ck_assert_msg (img != NULL, "resolve host: %s", err ? err->msg : "");
  ck_assert_str_eq (img->id, "builtin:host");
  ck_assert_uint_eq (img->n_layers, 1);
  ck_assert_str_eq (img->layers[0], "/");
  loom_image_free (img);
}
END_TEST

START_TEST (test_missing_says_how_to_import)
{
  loom_error_t err = NULL;
  struct loom_image *img = loom_image_resolve ("web:1", &err);
  loom_autofree char *want = loom_xasprintf ("image 'web:1' is not in the local store (%s)", store);

  ck_assert_ptr_null (img);
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (strstr (err->msg, want) != NULL, "message: %s", err->msg);
  ck_assert_msg (strstr (err->msg, "`netloom image import web.tar`") != NULL, "message: %s",
                 err->msg);
  ck_assert (!loom_image_exists ("web:1"));
  loom_error_release (&err);
}
END_TEST

static void
check_web (struct loom_image *img)
{
  struct stat st;
  loom_autofree char *index = NULL;
  loom_autofree char *motd = NULL;

  ck_assert_uint_eq (img->n_layers, 2);
  ck_assert_uint_eq (strncmp (img->id, "sha256:", 7), 0);
  ck_assert_uint_eq (img->n_cmd, 6);
  ck_assert_str_eq (img->cmd[0], "httpd");
  ck_assert_str_eq (img->cmd[5], "/www");
  ck_assert_uint_eq (img->n_entrypoint, 0);
  ck_assert_str_eq (img->workdir, "/www");
  ck_assert_ptr_null (img->user);
  ck_assert_uint_eq (img->n_exposed, 1);
  ck_assert_str_eq (img->exposed[0], "80/tcp");
  ck_assert (strv_has (img->env, img->n_env, "GREETING=netloom"));
  /* Lowest first: busybox below, the web root on top. */
  index = loom_xasprintf ("%s/www/index.html", img->layers[1]);
  ck_assert_int_eq (stat (index, &st), 0);
  motd = loom_xasprintf ("%s/etc/motd", img->layers[1]);
  ck_assert_int_eq (lstat (motd, &st), 0);
  ck_assert (S_ISCHR (st.st_mode) && st.st_rdev == 0);
}

START_TEST (test_import_and_resolve)
{
  loom_error_t err = NULL;
  loom_autofree char *docker = make_archive ("web:1", false);
  loom_autofree char *oci = make_archive ("docker.io/library/web:2", true);
  json_t *names = NULL;
  struct loom_image *img;

  ck_assert_msg (loom_image_import (docker, "site", &names, &err) == 0, "import: %s",
                 err ? err->msg : "");
  ck_assert_uint_eq (json_array_size (names), 2);
  ck_assert_str_eq (json_string_value (json_array_get (names, 0)), "web:1");
  ck_assert_str_eq (json_string_value (json_array_get (names, 1)), "site:latest");
  json_decref (names);

  img = loom_image_resolve ("docker.io/library/web:1", &err);
  ck_assert_msg (img != NULL, "resolve: %s", err ? err->msg : "");
  ck_assert_str_eq (img->name, "web:1");
  check_web (img);
  loom_image_free (img);
  ck_assert (loom_image_exists ("site"));
  ck_assert (!loom_image_exists ("web")); /* web:latest */

  ck_assert_msg (loom_image_import (oci, NULL, &names, &err) == 0, "import: %s",
                 err ? err->msg : "");
  /* The same config as web:1 (mkimage.sh's default text): the same image, one more name. */
  ck_assert_uint_eq (json_array_size (names), 3);
  ck_assert_str_eq (json_string_value (json_array_get (names, 2)), "web:2");
  json_decref (names);
  img = loom_image_resolve ("web:2", &err);
  ck_assert_msg (img != NULL, "resolve: %s", err ? err->msg : "");
  check_web (img);
  loom_image_free (img);
}
END_TEST

START_TEST (test_alias)
{
  loom_error_t err = NULL;
  loom_autofree char *al = loom_xasprintf ("%s/aliases.yaml", store);
  const char *text = "\"alpine:3\": busybox\n\"frrouting/frr*\": host\n";
  struct loom_image *img;

  ck_assert_int_eq (loom_write_file (al, text, strlen (text), &err), 0);
  img = loom_image_resolve ("alpine:3", &err);
  ck_assert_msg (img != NULL, "resolve: %s", err ? err->msg : "");
  ck_assert_str_eq (img->id, "builtin:busybox");
  loom_image_free (img);
  img = loom_image_resolve ("frrouting/frr:v8.4.1", &err);
  ck_assert_msg (img != NULL, "resolve: %s", err ? err->msg : "");
  ck_assert_str_eq (img->layers[0], "/");
  loom_image_free (img);

  text = "ok: busybox\n  bad: - x\n";
  ck_assert_int_eq (loom_write_file (al, text, strlen (text), &err), 0);
  ck_assert_ptr_null (loom_image_resolve ("ok", &err));
  ck_assert_msg (strstr (err->msg, al) != NULL && strstr (err->msg, ":2:"), "message: %s",
                 err->msg);
  loom_error_release (&err);
}
END_TEST

static Suite *
image_suite (void)
{
  Suite *s = suite_create ("image");
  TCase *tc = tcase_create ("store");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_busybox_builtin);
  tcase_add_test (tc, test_host_builtin);
  tcase_add_test (tc, test_missing_says_how_to_import);
  tcase_add_test (tc, test_import_and_resolve);
  tcase_add_test (tc, test_alias);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (image_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
