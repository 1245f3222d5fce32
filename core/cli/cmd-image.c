/* `netloom image import|ls|inspect|rm`: the local image store (core/image.h) from the
 * command line — importing `docker save` archives and OCI layouts, listing, inspecting
 * and removing images. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/image.h"
#include "core/util.h"

static char *
human_size (json_int_t n)
{
  static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
  double v = (double) n;
  size_t u = 0;

  if (n <= 0)
    return loom_xstrdup ("-");
  while (v >= 1000 && u < 4)
    {
      v /= 1000;
      u++;
    }
  return u == 0 ? loom_xasprintf ("%lldB", (long long) n) : loom_xasprintf ("%.3g%s", v, units[u]);
}

/* "2024-05-01T12:00:00.123Z" -> "2024-05-01 12:00". */
static char *
short_time (const char *t)
{
  if (t == NULL || strlen (t) < 16 || t[10] != 'T')
    return loom_xstrdup (t ? t : "-");
  return loom_xasprintf ("%.10s %.5s", t, t + 11);
}

static char *
short_id (const char *id)
{
  if (id && strncmp (id, "sha256:", 7) == 0)
    return loom_xasprintf ("%.12s", id + 7);
  if (id && strncmp (id, "builtin:", 8) == 0)
    return loom_xstrdup ("built-in");
  return loom_xstrdup (id ? id : "-");
}

static int
image_ls (struct loom_args *args)
{
  loom_error_t err = NULL;
  json_t *list = loom_image_list (&err), *img, *n;
  size_t i, j, wname = 4;

  if (list == NULL)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (loom_args_has (args, "json"))
    {
      json_dumpf (list, stdout, JSON_INDENT (2));
      putchar ('\n');
      json_decref (list);
      return LOOM_EXIT_OK;
    }
  json_array_foreach (list, i, img)
    {
      json_array_foreach (json_object_get (img, "names"), j, n)
        {
          if (strlen (json_string_value (n)) > wname)
            wname = strlen (json_string_value (n));
        }
    }
  printf ("%-*s  %-12s  %8s  %-16s  %s\n", (int) wname, "NAME", "ID", "SIZE", "CREATED", "LAYERS");
  json_array_foreach (list, i, img)
    {
      json_t *names = json_object_get (img, "names");
      loom_autofree char *id = short_id (json_string_value (json_object_get (img, "id")));
      loom_autofree char *size = human_size (json_integer_value (json_object_get (img, "size")));
      loom_autofree char *created
          = short_time (json_string_value (json_object_get (img, "created")));
      size_t nl = json_array_size (json_object_get (img, "layers"));
      size_t k, count = json_array_size (names) ? json_array_size (names) : 1;

      for (k = 0; k < count; k++)
        {
          const char *name = json_string_value (json_array_get (names, k));
          printf ("%-*s  %-12s  %8s  %-16s  %zu\n", (int) wname, name ? name : "<none>", id, size,
                  created, nl);
        }
    }
  json_decref (list);
  return LOOM_EXIT_OK;
}

static int
image_import (struct loom_args *args)
{
  loom_error_t err = NULL;
  json_t *names = NULL, *n;
  size_t i;

  if (args->argc != 2)
    return loom_cli_usage_error (args->cmd->name, "usage: netloom image import FILE [--tag NAME]");
  if (geteuid () != 0)
    return loom_cli_fail (args->cmd->name,
                          "import must be run as root: layers keep their files' owners and "
                          "devices (try: sudo netloom image import ...)");
  if (strcmp (args->argv[1], "-") == 0 && isatty (0))
    return loom_cli_usage_error (args->cmd->name,
                                 "'-' reads the archive from standard input, which is a terminal");
  if (loom_image_import (args->argv[1], loom_args_get (args, "tag"), &names, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  json_array_foreach (names, i, n)
    {
      if (loom_cli_verbosity >= 0)
        printf ("imported %s\n", json_string_value (n));
    }
  json_decref (names);
  return LOOM_EXIT_OK;
}

static int
image_inspect (struct loom_args *args)
{
  loom_error_t err = NULL;
  json_t *rec;

  if (args->argc != 2)
    return loom_cli_usage_error (args->cmd->name, "usage: netloom image inspect NAME");
  rec = loom_image_inspect (args->argv[1], &err);
  if (rec == NULL)
    return loom_cli_fail_err (args->cmd->name, &err);
  json_dumpf (rec, stdout, JSON_INDENT (2) | JSON_SORT_KEYS);
  putchar ('\n');
  json_decref (rec);
  return LOOM_EXIT_OK;
}

static int
image_rm (struct loom_args *args)
{
  loom_error_t err = NULL;
  int i;

  if (args->argc < 2)
    return loom_cli_usage_error (args->cmd->name, "usage: netloom image rm NAME...");
  if (geteuid () != 0)
    return loom_cli_fail (args->cmd->name,
                          "rm must be run as root (try: sudo netloom image rm ...)");
  for (i = 1; i < args->argc; i++)
    {
      if (loom_image_remove (args->argv[i], &err) < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      if (loom_cli_verbosity >= 0)
        printf ("removed %s\n", args->argv[i]);
    }
  return LOOM_EXIT_OK;
}

static int
image_exec (struct loom_args *args)
{
  const char *verb = args->argv[0];

  if (strcmp (verb, "ls") == 0 || strcmp (verb, "list") == 0)
    {
      if (args->argc > 1)
        return loom_cli_usage_error (args->cmd->name, "unexpected argument '%s'", args->argv[1]);
      return image_ls (args);
    }
  if (strcmp (verb, "import") == 0 || strcmp (verb, "load") == 0)
    return image_import (args);
  if (strcmp (verb, "inspect") == 0)
    return image_inspect (args);
  if (strcmp (verb, "rm") == 0 || strcmp (verb, "remove") == 0)
    return image_rm (args);
  return loom_cli_usage_error (args->cmd->name, "unknown action '%s' (import, ls, inspect or rm)",
                               verb);
}

static const struct loom_cmd_opt image_opts[] = {
  { "tag", 't', "NAME", "import: also name the image NAME (web:1)" },
  { "json", 0, NULL, "ls: print the list as JSON" },
  { NULL, 0, NULL, NULL },
};

const struct loom_cmd loom_cmd_image = {
  .name = "image",
  .alias = NULL,
  .usage = "import FILE [--tag NAME] | ls [--json] | inspect NAME | rm NAME...",
  .summary = "Import, list, inspect and remove container images",
  .help = "Container images live in a local store ($NETLOOM_IMAGE_DIR, default\n"
          "/var/lib/netloom/images); no registry and no container engine are needed.\n"
          "  import FILE   a `docker save` archive or an OCI image layout (tar, plain or\n"
          "                compressed; '-' reads standard input). Layers are kept once,\n"
          "                unpacked, and shared between images. Needs root.\n"
          "  ls            the images: NAME, ID, SIZE, CREATED, LAYERS (built-ins too)\n"
          "  inspect NAME  an image's record as JSON (aliases apply)\n"
          "  rm NAME       removes a name; the image goes with its last name, and each\n"
          "                layer no other image uses. Needs root.\n"
          "Built-in images: busybox (from the host's busybox-static) and host (the host's\n"
          "own root, shared read-only). /etc/netloom/images.yaml ($NETLOOM_IMAGE_ALIASES)\n"
          "maps other names to local images (\"frrouting/frr*\": host).\n",
  .example = "  docker save web:1 -o web.tar   # on a machine with docker\n"
             "  sudo netloom image import web.tar\n"
             "  netloom image ls\n"
             "  netloom image inspect busybox\n",
  .opts = image_opts,
  .min_args = 1,
  .max_args = -1,
  .flags = 0,
  .exec = image_exec,
};
