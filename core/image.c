/* The local image store (see image.h): importing `docker save` archives and OCI image
 * layouts with libarchive into unpacked, shared, content-addressed layers; the image
 * records; the built-in images (busybox from the host's busybox-static, and the host's
 * own root); the alias table; and resolving the name a lab file gives to the layer
 * directories a container's overlay root is made of.
 *
 * Every change to the store happens under an flock on <root>/lock. A layer is unpacked
 * into <root>/layers/.tmp-* and renamed to its digest only once complete, so a crash
 * never leaves a half layer under a name that looks complete; removal renames it away
 * before deleting. The outer archive is first unpacked into <root>/tmp/ (its manifest
 * may come last in the tar, and stdin cannot be read twice), and removed on any exit. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "core/image.h"
#include "core/util.h"

#define HOST_BUSYBOX "/bin/busybox"
#define DEFAULT_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* ---------- small helpers ---------- */

const char *
loom_image_dir (void)
{
  const char *d = getenv ("NETLOOM_IMAGE_DIR");
  return d && *d ? d : LOOM_IMAGE_DIR_DEFAULT;
}

static const char *
aliases_path (void)
{
  const char *p = getenv ("NETLOOM_IMAGE_ALIASES");
  return p && *p ? p : LOOM_IMAGE_ALIASES_DEFAULT;
}

static bool
is_hex64 (const char *s)
{
  size_t i;
  for (i = 0; i < 64; i++)
    if (!isxdigit ((unsigned char) s[i]) || isupper ((unsigned char) s[i]))
      return false;
  return s[64] == '\0';
}

/* "sha256:<64 hex>" -> pointer to the hex, or NULL. */
static const char *
digest_hex (const char *digest)
{
  if (digest == NULL || strncmp (digest, "sha256:", 7) != 0 || !is_hex64 (digest + 7))
    return NULL;
  return digest + 7;
}

static void
strv_free (char **v, size_t n)
{
  size_t i;
  for (i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

static void
lock_release (int *fd)
{
  if (*fd >= 0)
    {
      flock (*fd, LOCK_UN);
      close (*fd);
    }
}
#define auto_lock __attribute__ ((cleanup (lock_release)))

/* Takes the store's lock (creating the store's directories). Returns the fd. */
static int
store_lock (loom_error_t *err)
{
  const char *root = loom_image_dir ();
  loom_autofree char *layers = loom_xasprintf ("%s/layers", root);
  loom_autofree char *images = loom_xasprintf ("%s/images", root);
  loom_autofree char *tmp = loom_xasprintf ("%s/tmp", root);
  loom_autofree char *lock = loom_xasprintf ("%s/lock", root);

  if (loom_mkdir_p (layers, 0755, err) < 0 || loom_mkdir_p (images, 0755, err) < 0
      || loom_mkdir_p (tmp, 0700, err) < 0)
    return loom_error_wrap (err, "image store %s", root);
  return loom_lock_file (lock, true, err);
}

static int
write_json_atomic (const char *path, json_t *obj, loom_error_t *err)
{
  loom_autofree char *tmp = loom_xasprintf ("%s.tmp-%d", path, (int) getpid ());
  if (json_dump_file (obj, tmp, JSON_INDENT (2) | JSON_SORT_KEYS) < 0)
    {
      unlink (tmp);
      return loom_error_make (err, EIO, "write %s", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return loom_error_make (err, e, "rename %s", path);
    }
  return 0;
}

static json_t *
read_json (const char *path, loom_error_t *err)
{
  json_error_t je;
  json_t *j = json_load_file (path, 0, &je);
  if (j == NULL)
    loom_error_make (err, errno == ENOENT ? ENOENT : 0, "%s:%d:%d: %s", path, je.line, je.column,
                     je.text);
  return j;
}

/* ---------- names ---------- */

/**
 * normalise_name() - docker's short form of a reference: "busybox" -> "busybox:latest",
 * "docker.io/library/x:1" -> "x:1". NULL (and *err) when it is not a usable name.
 */
static char *
normalise_name (const char *name, loom_error_t *err)
{
  const char *p = name, *slash, *s;
  char *out;

  if (name == NULL || *name == '\0')
    return loom_error_make (err, 0, "empty image name"), NULL;
  for (s = name; *s; s++)
    if (isspace ((unsigned char) *s) || iscntrl ((unsigned char) *s))
      return loom_error_make (err, 0, "'%s' is not an image name (no spaces or control characters)",
                              name),
             NULL;
  if (strncmp (p, "docker.io/", 10) == 0)
    p += 10;
  else if (strncmp (p, "index.docker.io/", 16) == 0)
    p += 16;
  if (p != name && strncmp (p, "library/", 8) == 0)
    p += 8;
  if (*p == '\0' || *p == ':' || *p == '/')
    return loom_error_make (err, 0, "'%s' is not an image name", name), NULL;
  slash = strrchr (p, '/');
  if (strchr (slash ? slash : p, ':') || strchr (p, '@'))
    out = loom_xstrdup (p);
  else
    out = loom_xasprintf ("%s:latest", p);
  return out;
}

/* ---------- image records ---------- */

static char *
images_dir (void)
{
  return loom_xasprintf ("%s/images", loom_image_dir ());
}

static char *
layer_dir (const char *hex)
{
  return loom_xasprintf ("%s/layers/%s", loom_image_dir (), hex);
}

/* Every imported image's record (array; each gets "_file" with its path). */
static json_t *
load_records (void)
{
  loom_autofree char *dir = images_dir ();
  json_t *all = json_array ();
  DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return all;
  while ((de = readdir (d)))
    {
      size_t len = strlen (de->d_name);
      loom_autofree char *path = NULL;
      loom_error_t e = NULL;
      json_t *rec;

      if (len != 64 + 5 || strcmp (de->d_name + 64, ".json") != 0)
        continue;
      path = loom_xasprintf ("%s/%s", dir, de->d_name);
      rec = read_json (path, &e);
      loom_error_release (&e);
      if (rec == NULL || !json_is_object (rec))
        {
          json_decref (rec);
          continue;
        }
      json_object_set_new (rec, "_file", json_string (path));
      json_array_append_new (all, rec);
    }
  closedir (d);
  return all;
}

static bool
strv_json_has (json_t *arr, const char *name)
{
  size_t i;
  json_t *n;
  json_array_foreach (arr, i, n)
    {
      if (json_is_string (n) && strcmp (json_string_value (n), name) == 0)
        return true;
    }
  return false;
}

static bool
record_has_name (json_t *rec, const char *name)
{
  return strv_json_has (json_object_get (rec, "names"), name);
}

/* Finds an imported image by normalised name or by id (prefix, with or without
 * "sha256:"). Returns a new reference or NULL; ambiguous prefixes fail with *err. */
static json_t *
find_record (const char *name, const char *norm, loom_error_t *err)
{
  json_t *all = load_records (), *rec, *found = NULL;
  const char *prefix = name;
  size_t i, plen;
  bool by_id;

  if (strncmp (prefix, "sha256:", 7) == 0)
    prefix += 7;
  plen = strlen (prefix);
  by_id = plen >= 4 && plen <= 64 && strspn (prefix, "0123456789abcdef") == plen;

  json_array_foreach (all, i, rec)
    {
      if (norm && record_has_name (rec, norm))
        {
          found = json_incref (rec);
          break;
        }
    }
  if (found == NULL && by_id)
    json_array_foreach (all, i, rec)
      {
        const char *id = json_string_value (json_object_get (rec, "id"));
        if (id && strncmp (id, "sha256:", 7) == 0 && strncmp (id + 7, prefix, plen) == 0)
          {
            if (found)
              {
                json_decref (found);
                json_decref (all);
                loom_error_make (err, 0, "image id prefix '%s' is ambiguous", name);
                return NULL;
              }
            found = json_incref (rec);
          }
      }
  json_decref (all);
  return found;
}

/* ---------- aliases ---------- */

struct alias
{
  char *key;
  char *value;
  int line, col;
};

static void
aliases_free (struct alias *a, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (a[i].key);
      free (a[i].value);
    }
  free (a);
}

/* Reads the alias table; a missing file is an empty table. */
static int
aliases_load (struct alias **out, size_t *n_out, loom_error_t *err)
{
  const char *path = aliases_path ();
  loom_autofclose FILE *f = fopen (path, "r");
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *root;
  yaml_node_pair_t *pair;
  struct alias *a = NULL;
  size_t n = 0;
  int ret = 0;

  *out = NULL;
  *n_out = 0;
  if (f == NULL)
    return errno == ENOENT ? 0 : loom_error_make (err, errno, "open %s", path);
  yaml_parser_initialize (&parser);
  yaml_parser_set_input_file (&parser, f);
  if (!yaml_parser_load (&parser, &doc))
    {
      ret = loom_error_make (err, 0, "%s:%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
                             parser.problem_mark.column + 1,
                             parser.problem ? parser.problem : "YAML syntax error",
                             parser.context ? " " : "", parser.context ? parser.context : "");
      yaml_parser_delete (&parser);
      return ret;
    }
  root = yaml_document_get_root_node (&doc);
  if (root == NULL || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
    goto done; /* an empty file */
  if (root->type != YAML_MAPPING_NODE)
    {
      ret = loom_error_make (err, 0,
                             "%s:%zu:%zu: expected a mapping of image names to local images "
                             "(\"alpine:3\": busybox)",
                             path, root->start_mark.line + 1, root->start_mark.column + 1);
      goto done;
    }
  for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *k = yaml_document_get_node (&doc, pair->key);
      yaml_node_t *v = yaml_document_get_node (&doc, pair->value);
      struct alias al;
      if (k->type != YAML_SCALAR_NODE || k->data.scalar.length == 0)
        {
          ret = loom_error_make (err, 0, "%s:%zu:%zu: expected an image name as the key", path,
                                 k->start_mark.line + 1, k->start_mark.column + 1);
          goto done;
        }
      if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
        {
          ret = loom_error_make (err, 0,
                                 "%s:%zu:%zu: expected the name of a local image (busybox, "
                                 "host, or an imported image) for '%s'",
                                 path, v->start_mark.line + 1, v->start_mark.column + 1,
                                 (char *) k->data.scalar.value);
          goto done;
        }
      al.key = loom_xstrdup ((char *) k->data.scalar.value);
      al.value = loom_xstrdup ((char *) v->data.scalar.value);
      al.line = (int) k->start_mark.line + 1;
      al.col = (int) k->start_mark.column + 1;
      LOOM_PUSH (a, n, al);
    }
done:
  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);
  if (ret < 0)
    {
      aliases_free (a, n);
      return ret;
    }
  *out = a;
  *n_out = n;
  return 0;
}

static bool
alias_matches (const char *key, const char *name, const char *norm)
{
  size_t kl = strlen (key);
  if (kl > 0 && key[kl - 1] == '*')
    return strncmp (key, name, kl - 1) == 0 || (norm && strncmp (key, norm, kl - 1) == 0);
  if (strcmp (key, name) == 0 || (norm && strcmp (key, norm) == 0))
    return true;
  /* "alpine" as a key matches "alpine:latest" too. */
  {
    loom_error_t e = NULL;
    loom_autofree char *nk = normalise_name (key, &e);
    loom_error_release (&e);
    return nk && norm && strcmp (nk, norm) == 0;
  }
}

/* ---------- built-in images ---------- */

static struct loom_image *
image_new (const char *id, const char *name)
{
  struct loom_image *img = loom_xcalloc (1, sizeof (*img));
  img->id = loom_xstrdup (id);
  img->name = loom_xstrdup (name);
  return img;
}

/* Adds a layer on top. A layer that is there already (images repeat the empty layer)
 * moves up: overlayfs takes a directory once, and the highest copy is the one that
 * counts. */
static void
image_add_layer (struct loom_image *img, const char *dir)
{
  char *d = loom_xstrdup (dir);
  size_t i;

  for (i = 0; i < img->n_layers; i++)
    if (strcmp (img->layers[i], dir) == 0)
      {
        free (img->layers[i]);
        memmove (img->layers + i, img->layers + i + 1, (img->n_layers - i - 1) * sizeof (char *));
        img->n_layers--;
        break;
      }
  LOOM_PUSH (img->layers, img->n_layers, d);
}

static void
strv_from_json (json_t *arr, char ***out, size_t *n)
{
  size_t i;
  json_t *v;
  if (!json_is_array (arr))
    return;
  json_array_foreach (arr, i, v)
    {
      if (json_is_string (v))
        {
          char *s = loom_xstrdup (json_string_value (v));
          LOOM_PUSH (*out, *n, s);
        }
    }
}

static void
image_set_config (struct loom_image *img, json_t *cfg)
{
  const char *s;
  const char *key;
  json_t *v;

  strv_from_json (json_object_get (cfg, "Env"), &img->env, &img->n_env);
  strv_from_json (json_object_get (cfg, "Cmd"), &img->cmd, &img->n_cmd);
  strv_from_json (json_object_get (cfg, "Entrypoint"), &img->entrypoint, &img->n_entrypoint);
  s = json_string_value (json_object_get (cfg, "WorkingDir"));
  if (s && *s)
    img->workdir = loom_xstrdup (s);
  s = json_string_value (json_object_get (cfg, "User"));
  if (s && *s)
    img->user = loom_xstrdup (s);
  json_object_foreach (json_object_get (cfg, "ExposedPorts"), key, v)
    {
      char *p = loom_xstrdup (key);
      LOOM_PUSH (img->exposed, img->n_exposed, p);
    }
}

static json_t *
busybox_config (void)
{
  return json_pack ("{s:[s], s:[s]}", "Env", DEFAULT_PATH, "Cmd", "sh");
}

static char *
now_rfc3339 (void)
{
  char buf[64];
  time_t t = time (NULL);
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return loom_xstrdup (buf);
}

static char *
busybox_record_path (void)
{
  return loom_xasprintf ("%s/builtin-busybox.json", loom_image_dir ());
}

/* Runs `busybox --list-full` and returns its lines (applet paths, "usr/bin/wget"). */
static int
busybox_applets (char ***out, size_t *n_out, loom_error_t *err)
{
  int pfd[2];
  pid_t pid;
  FILE *f;
  char *line = NULL;
  size_t cap = 0, n = 0;
  char **v = NULL;
  int status;
  ssize_t len;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return loom_error_make (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      return loom_error_make (err, errno, "fork");
    }
  if (pid == 0)
    {
      dup2 (pfd[1], 1);
      execl (HOST_BUSYBOX, "busybox", "--list-full", (char *) NULL);
      _exit (127);
    }
  close (pfd[1]);
  f = fdopen (pfd[0], "r");
  while ((len = getline (&line, &cap, f)) > 0)
    {
      char *s;
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
      if (len == 0 || strstr (line, "..") || line[0] == '/')
        continue;
      s = loom_xstrdup (line);
      LOOM_PUSH (v, n, s);
    }
  free (line);
  fclose (f);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || n == 0)
    {
      strv_free (v, n);
      return loom_error_make (err, 0, "%s --list-full failed (is busybox-static installed?)",
                              HOST_BUSYBOX);
    }
  *out = v;
  *n_out = n;
  return 0;
}

static int
copy_file (const char *src, const char *dst, mode_t mode, loom_error_t *err)
{
  loom_autoclose int in = open (src, O_RDONLY | O_CLOEXEC);
  loom_autoclose int out = -1;
  char buf[65536];
  ssize_t r;

  if (in < 0)
    return loom_error_make (err, errno, "open %s", src);
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (out < 0)
    return loom_error_make (err, errno, "create %s", dst);
  while ((r = read (in, buf, sizeof buf)) > 0)
    if (write (out, buf, (size_t) r) != r)
      return loom_error_make (err, errno ? errno : EIO, "write %s", dst);
  if (r < 0)
    return loom_error_make (err, errno, "read %s", src);
  if (fchmod (out, mode) < 0)
    return loom_error_make (err, errno, "chmod %s", dst);
  return 0;
}

/* Builds the busybox root file system in dir (which exists, empty). */
static int
busybox_fill (const char *dir, loom_error_t *err)
{
  static const struct
  {
    const char *path;
    mode_t mode;
  } dirs[] = {
    { "bin", 0755 },      { "sbin", 0755 }, { "usr", 0755 },  { "usr/bin", 0755 },
    { "usr/sbin", 0755 }, { "proc", 0555 }, { "sys", 0555 },  { "dev", 0755 },
    { "tmp", 01777 },     { "root", 0700 }, { "etc", 0755 },  { "var", 0755 },
    { "var/run", 0755 },  { "run", 0755 },  { "home", 0755 },
  };
  static const struct
  {
    const char *path;
    const char *text;
  } files[] = {
    { "etc/passwd",
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" },
    { "etc/group", "root:x:0:\nnogroup:x:65534:\n" },
    { "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n" },
  };
  char **applets = NULL;
  size_t n = 0, i;
  loom_autofree char *bb = loom_xasprintf ("%s/bin/busybox", dir);

  for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      loom_autofree char *p = loom_xasprintf ("%s/%s", dir, dirs[i].path);
      if (mkdir (p, dirs[i].mode) < 0 && errno != EEXIST)
        return loom_error_make (err, errno, "mkdir %s", p);
      if (chmod (p, dirs[i].mode) < 0)
        return loom_error_make (err, errno, "chmod %s", p);
    }
  for (i = 0; i < sizeof files / sizeof files[0]; i++)
    {
      loom_autofree char *p = loom_xasprintf ("%s/%s", dir, files[i].path);
      if (loom_write_file (p, files[i].text, strlen (files[i].text), err) < 0)
        return -1;
    }
  if (copy_file (HOST_BUSYBOX, bb, 0755, err) < 0)
    return -1;
  if (busybox_applets (&applets, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    {
      const char *a = applets[i], *c;
      loom_autofree char *target = NULL;
      loom_autofree char *link = loom_xasprintf ("%s/%s", dir, a);
      loom_autofree char *parent = loom_xstrdup (link);
      size_t depth = 0;

      if (strcmp (a, "bin/busybox") == 0)
        continue;
      for (c = a; *c; c++)
        depth += *c == '/';
      if (strncmp (a, "bin/", 4) == 0 && depth == 1)
        target = loom_xstrdup ("busybox");
      else
        {
          size_t j;
          target = loom_xstrdup ("");
          for (j = 0; j < depth; j++)
            {
              char *t = loom_xasprintf ("%s../", target);
              free (target);
              target = t;
            }
          {
            char *t = loom_xasprintf ("%sbin/busybox", target);
            free (target);
            target = t;
          }
        }
      *strrchr (parent, '/') = '\0';
      if (loom_mkdir_p (parent, 0755, err) < 0 || (symlink (target, link) < 0 && errno != EEXIST))
        {
          if (!*err)
            loom_error_make (err, errno, "symlink %s", link);
          strv_free (applets, n);
          return -1;
        }
    }
  strv_free (applets, n);
  return 0;
}

/* True when @rec (may be NULL) was made from the host's busybox as it is now (@st) and
 * its layer is still there. */
static bool
busybox_record_current (json_t *rec, const struct stat *st)
{
  const char *l;
  struct stat ls;

  if (rec == NULL
      || json_integer_value (json_object_get (rec, "busybox_size")) != (json_int_t) st->st_size
      || json_integer_value (json_object_get (rec, "busybox_mtime")) != (json_int_t) st->st_mtime)
    return false;
  l = json_string_value (json_array_get (json_object_get (rec, "layer_dirs"), 0));
  return l && stat (l, &ls) == 0;
}

/* The busybox image's record, building (or rebuilding, when the host's busybox
 * changed) its layer first when @build. NULL with *err when it cannot be made. */
static json_t *
busybox_record (bool build, loom_error_t *err)
{
  loom_autofree char *rpath = busybox_record_path ();
  struct stat st;
  json_t *rec;
  loom_error_t e = NULL;
  auto_lock int lock = -1;
  loom_autofree char *tmp = NULL;
  loom_autofree char *final = NULL;
  loom_autofree char *created = NULL;
  const char *old;

  if (stat (HOST_BUSYBOX, &st) < 0)
    return loom_error_make (err, errno,
                            "the built-in busybox image needs %s (Debian package busybox-static)",
                            HOST_BUSYBOX),
           NULL;
  rec = read_json (rpath, &e);
  loom_error_release (&e);
  if (busybox_record_current (rec, &st))
    return rec;
  if (!build)
    {
      json_decref (rec);
      return NULL;
    }
  json_decref (rec);

  lock = store_lock (err);
  if (lock < 0)
    return NULL;
  /* Someone else may have built it while we waited. */
  rec = read_json (rpath, &e);
  loom_error_release (&e);
  if (busybox_record_current (rec, &st))
    return rec;
  old = rec ? json_string_value (json_array_get (json_object_get (rec, "layer_dirs"), 0)) : NULL;

  tmp = loom_xasprintf ("%s/layers/.tmp-busybox-XXXXXX", loom_image_dir ());
  if (mkdtemp (tmp) == NULL)
    {
      loom_error_make (err, errno, "mkdtemp %s", tmp);
      json_decref (rec);
      return NULL;
    }
  chmod (tmp, 0755);
  if (busybox_fill (tmp, err) < 0)
    {
      loom_rm_rf (tmp, &e);
      loom_error_release (&e);
      json_decref (rec);
      loom_error_wrap (err, "building the built-in busybox image");
      return NULL;
    }
  final = loom_xasprintf ("%s/layers/builtin-busybox-%lld-%lld", loom_image_dir (),
                          (long long) st.st_size, (long long) st.st_mtime);
  loom_rm_rf (final, &e); /* a leftover of an earlier build whose record was lost */
  loom_error_release (&e);
  if (rename (tmp, final) < 0)
    {
      loom_error_make (err, errno, "rename %s to %s", tmp, final);
      loom_rm_rf (tmp, &e);
      loom_error_release (&e);
      json_decref (rec);
      return NULL;
    }
  created = now_rfc3339 ();
  {
    json_t *nrec = json_pack (
        "{s:s, s:[s], s:[s], s:[s], s:o, s:s, s:I, s:I, s:I, s:b}", "id", "builtin:busybox",
        "names", "busybox:latest", "layers", "builtin:busybox", "layer_dirs", final, "config",
        busybox_config (), "created", created, "size", (json_int_t) st.st_size, "busybox_size",
        (json_int_t) st.st_size, "busybox_mtime", (json_int_t) st.st_mtime, "builtin", 1);
    if (write_json_atomic (rpath, nrec, err) < 0)
      {
        json_decref (nrec);
        json_decref (rec);
        return NULL;
      }
    if (old && strcmp (old, final) != 0)
      {
        /* Rename away first, so a crash never leaves a half-removed layer in place. */
        loom_autofree char *gone
            = loom_xasprintf ("%s/layers/.tmp-old-busybox-%d", loom_image_dir (), (int) getpid ());
        if (rename (old, gone) == 0)
          loom_rm_rf (gone, &e);
        loom_error_release (&e);
      }
    json_decref (rec);
    return nrec;
  }
}

static json_t *
host_record (void)
{
  return json_pack ("{s:s, s:[s], s:[s], s:[s], s:{s:[s]}, s:s, s:b, s:s}", "id", "builtin:host",
                    "names", "host:latest", "layers", "builtin:host", "layer_dirs", "/", "config",
                    "Env", DEFAULT_PATH, "created", "-", "builtin", 1, "note",
                    "the host's own root file system, shared read-only");
}

/* The built-in "frr": the host's root file system (as "host") with the host's FRR
 * started the way FRR's own container images start it — watchfrr with the daemons
 * /etc/frr/daemons enables — so containerlab labs written for an FRR image (their
 * daemons and frr.conf bound into /etc/frr) run on the host's FRR install through an
 * alias ("frrouting/frr*": frr). */
#define FRR_START                                                                             \
  "mkdir -p /var/run/frr /var/log/frr && chown frr:frr /var/run/frr /var/log/frr"            \
  " && . /usr/lib/frr/frrcommon.sh && exec /usr/lib/frr/watchfrr $(daemon_list)"

static json_t *
frr_record (void)
{
  return json_pack ("{s:s, s:[s], s:[s], s:[s], s:{s:[s], s:[sss]}, s:s, s:b, s:s}", "id",
                    "builtin:frr", "names", "frr:latest", "layers", "builtin:frr", "layer_dirs",
                    "/", "config", "Env", DEFAULT_PATH, "Cmd", "bash", "-c", FRR_START,
                    "created", "-", "builtin", 1, "note",
                    "the host's root file system (shared read-only) running the host's FRR: "
                    "watchfrr and the daemons /etc/frr/daemons enables");
}

/* ---------- resolving ---------- */

static struct loom_image *
image_from_record (json_t *rec, const char *name)
{
  struct loom_image *img = image_new (json_string_value (json_object_get (rec, "id")), name);
  json_t *l;
  size_t i;

  if (json_object_get (rec, "layer_dirs"))
    json_array_foreach (json_object_get (rec, "layer_dirs"), i, l)
      {
        image_add_layer (img, json_string_value (l));
      }
  else
    json_array_foreach (json_object_get (rec, "layers"), i, l)
      {
        const char *hex = digest_hex (json_string_value (l));
        loom_autofree char *d = hex ? layer_dir (hex) : NULL;
        if (d)
          image_add_layer (img, d);
      }
  image_set_config (img, json_object_get (rec, "config"));
  return img;
}

/* The record of the image @name (no aliases): imported images first, then built-ins.
 * Returns a new reference and the normalised name in *norm_out; NULL when not found
 * (*err only set for a real error). */
static json_t *
lookup (const char *name, bool build, char **norm_out, loom_error_t *err)
{
  loom_autofree char *norm = normalise_name (name, err);
  json_t *rec;

  if (norm == NULL)
    return NULL;
  rec = find_record (name, norm, err);
  if (rec == NULL && *err)
    return NULL;
  if (rec == NULL && strcmp (norm, "host:latest") == 0)
    rec = host_record ();
  if (rec == NULL && strcmp (norm, "frr:latest") == 0)
    rec = frr_record ();
  if (rec == NULL && strcmp (norm, "busybox:latest") == 0)
    {
      rec = busybox_record (build, err);
      if (rec == NULL && !build && *err == NULL)
        rec = json_pack ("{s:s, s:[s], s:[s], s:o, s:s, s:I, s:b}", "id", "builtin:busybox",
                         "names", "busybox:latest", "layers", "builtin:busybox", "config",
                         busybox_config (), "created", "-", "size", (json_int_t) 0, "builtin", 1);
    }
  if (rec && norm_out)
    *norm_out = loom_steal (&norm);
  return rec;
}

static char *
import_hint (const char *name)
{
  const char *slash = strrchr (name, '/');
  const char *base = slash ? slash + 1 : name;
  size_t len = strcspn (base, ":@");
  return loom_xasprintf ("%.*s.tar", (int) len, base);
}

/* Resolves aliases, then looks up. */
static json_t *
resolve_record (const char *name, bool build, char **found_as, loom_error_t *err)
{
  struct alias *al = NULL;
  size_t n_al = 0, i;
  loom_autofree char *norm = normalise_name (name, err);
  const char *target = name;
  loom_autofree char *via = NULL;
  json_t *rec;

  if (norm == NULL)
    return NULL;
  if (aliases_load (&al, &n_al, err) < 0)
    return NULL;
  for (i = 0; i < n_al; i++)
    if (alias_matches (al[i].key, name, norm))
      {
        target = al[i].value;
        via = loom_xasprintf ("'%s' (mapped to '%s' by %s:%d:%d)", name, target, aliases_path (),
                              al[i].line, al[i].col);
        break;
      }
  rec = lookup (target, build, found_as, err);
  if (rec == NULL && *err == NULL)
    {
      loom_autofree char *hint = import_hint (target);
      loom_autofree char *quoted = loom_xasprintf ("'%s'", name);
      loom_error_make (err, 0,
                       "image %s is not in the local store (%s); import it with `netloom image "
                       "import %s` (a `docker save` archive or an OCI layout), or map it to a "
                       "local image in %s",
                       via ? via : quoted, loom_image_dir (), hint, aliases_path ());
    }
  else if (rec == NULL && via)
    loom_error_wrap (err, "image %s", via);
  aliases_free (al, n_al);
  return rec;
}

struct loom_image *
loom_image_resolve (const char *name, loom_error_t *err)
{
  loom_autofree char *found = NULL;
  json_t *rec = resolve_record (name, true, &found, err);
  struct loom_image *img;

  if (rec == NULL)
    return NULL;
  img = image_from_record (rec, found);
  json_decref (rec);
  return img;
}

bool
loom_image_exists (const char *name)
{
  loom_error_t e = NULL;
  json_t *rec = resolve_record (name, false, NULL, &e);
  loom_error_release (&e);
  json_decref (rec);
  return rec != NULL;
}

void
loom_image_free (struct loom_image *img)
{
  if (img == NULL)
    return;
  free (img->id);
  free (img->name);
  strv_free (img->layers, img->n_layers);
  strv_free (img->env, img->n_env);
  strv_free (img->cmd, img->n_cmd);
  strv_free (img->entrypoint, img->n_entrypoint);
  free (img->workdir);
  free (img->user);
  strv_free (img->exposed, img->n_exposed);
  free (img);
}

/* ---------- import: unpacking ---------- */

/* Opens rel inside the directory dirfd, never leaving it (symlinks resolve as if dirfd
 * were the root). Without openat2 (kernels before 5.6, valgrind) the resolved path must
 * stay under the directory, which is ours (0700) and does not change meanwhile. */
static int
open_in (int dirfd, const char *rel, int flags)
{
  struct open_how how = { .flags = (uint64_t) flags | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = (int) syscall (SYS_openat2, dirfd, rel, &how, sizeof how);
  char dir[PATH_MAX], real[PATH_MAX];
  loom_autofree char *self = NULL;
  loom_autofree char *joined = NULL;
  ssize_t n;
  size_t dl;

  if (fd >= 0 || errno != ENOSYS)
    return fd;
  self = loom_xasprintf ("/proc/self/fd/%d", dirfd);
  n = readlink (self, dir, sizeof dir - 1);
  if (n < 0)
    return -1;
  dir[n] = '\0';
  joined = loom_xasprintf ("%s/%s", dir, rel);
  if (realpath (joined, real) == NULL)
    return -1;
  dl = strlen (dir);
  if (strncmp (real, dir, dl) != 0 || real[dl] != '/')
    {
      errno = EXDEV;
      return -1;
    }
  return open (real, flags | O_CLOEXEC | O_NOFOLLOW);
}

/* Opens the directory rel inside dirfd (O_PATH), refusing symlinks on the way: a
 * layer's whiteout must never reach outside the layer. */
static int
open_dir_nofollow (int dirfd, const char *rel)
{
  loom_autofree char *copy = loom_xstrdup (rel);
  char *save = NULL, *comp;
  int cur = openat (dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

  for (comp = strtok_r (copy, "/", &save); comp && cur >= 0; comp = strtok_r (NULL, "/", &save))
    {
      int next;
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          close (cur);
          errno = EXDEV;
          return -1;
        }
      next = openat (cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (cur);
      cur = next;
    }
  return cur;
}

static json_t *
read_json_in (int dirfd, const char *rel, const char *what, loom_error_t *err)
{
  loom_autoclose int fd = open_in (dirfd, rel, O_RDONLY);
  json_error_t je;
  json_t *j;

  if (fd < 0)
    return loom_error_make (err, errno, "%s: %s", what, rel), NULL;
  j = json_loadfd (fd, 0, &je);
  if (j == NULL)
    loom_error_make (err, 0, "%s %s:%d:%d: %s", what, rel, je.line, je.column, je.text);
  return j;
}

/* Removes a leading "./" (and "/"s) from an entry's path; NULL for the root itself. */
static const char *
entry_rel (const char *p)
{
  while (p[0] == '.' && p[1] == '/')
    p += 2;
  while (*p == '/')
    p++;
  return *p && strcmp (p, ".") != 0 ? p : NULL;
}

static bool
has_dotdot (const char *p)
{
  const char *s = p;
  while ((s = strstr (s, "..")))
    {
      if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
        return true;
      s += 2;
    }
  return false;
}

/* Handles a whiteout entry (.wh.NAME or .wh..wh..opq) in the layer at dirfd. */
static int
apply_whiteout (int dirfd, const char *rel, loom_error_t *err)
{
  loom_autofree char *dir = loom_xstrdup (rel);
  char *slash = strrchr (dir, '/');
  const char *base = slash ? slash + 1 : dir;
  loom_autoclose int dfd = -1;

  if (slash)
    {
      char *p;
      *slash = '\0';
      /* The directory normally came earlier in the tar; when not, make it (and its
       * parents). A failure shows in the openat2 below. */
      for (p = dir; (p = strchr (p + 1, '/'));)
        {
          *p = '\0';
          mkdirat (dirfd, dir, 0755);
          *p = '/';
        }
      mkdirat (dirfd, dir, 0755);
    }
  dfd = open_dir_nofollow (dirfd, slash ? dir : ".");
  if (dfd < 0)
    return loom_error_make (err, errno, "whiteout %s: its directory", rel);
  if (strcmp (base, ".wh..wh..opq") == 0)
    {
      loom_autofree char *p = loom_xasprintf ("/proc/self/fd/%d", dfd);
      if (setxattr (p, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return loom_error_make (err, errno, "mark %s opaque (trusted.overlay.opaque)",
                                slash ? dir : "/");
      return 0;
    }
  base += 4; /* ".wh." */
  if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return loom_error_make (err, 0, "bad whiteout entry '%s'", rel);
  unlinkat (dfd, base, 0);
  if (mknodat (dfd, base, S_IFCHR | 0, makedev (0, 0)) < 0)
    return loom_error_make (err, errno, "whiteout %s (mknod 0:0)", rel);
  return 0;
}

/* Overlayfs reads trusted.overlay.* (opaque, redirect, metacopy ...) from its layers:
 * only whiteouts of ours may set them, never a layer's own entries. */
static void
drop_overlay_xattrs (struct archive_entry *e)
{
  struct
  {
    char *name;
    void *value;
    size_t size;
  } *keep = NULL;
  size_t n = 0, i;
  bool dropped = false;
  const char *name;
  const void *value;
  size_t size;

  if (archive_entry_xattr_reset (e) == 0)
    return;
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (strncmp (name, "trusted.overlay.", 16) == 0)
        {
          dropped = true;
          continue;
        }
      keep = loom_xrealloc (keep, (n + 1) * sizeof (*keep));
      keep[n].name = loom_xstrdup (name);
      keep[n].value = loom_xmalloc (size ? size : 1);
      memcpy (keep[n].value, value, size);
      keep[n].size = size;
      n++;
    }
  if (dropped)
    {
      archive_entry_xattr_clear (e);
      for (i = 0; i < n; i++)
        archive_entry_xattr_add_entry (e, keep[i].name, keep[i].value, keep[i].size);
    }
  for (i = 0; i < n; i++)
    {
      free (keep[i].name);
      free (keep[i].value);
    }
  free (keep);
}

static int
archive_err (loom_error_t *err, struct archive *a, const char *what)
{
  const char *m = archive_error_string (a);
  return loom_error_make (err, 0, "%s: %s", what, m ? m : "unknown libarchive error");
}

static int
cwd_restore (int fd)
{
  return fchdir (fd);
}

/**
 * unpack() - extracts the tar (any compression) read from fd into dir.
 * @layer: a layer: owners, xattrs, devices kept, whiteouts turned into overlayfs ones;
 *         otherwise (the outer archive) plain files, directories and links.
 * @size: receives the bytes of regular files (may be NULL).
 *
 * archive_write_disk writes relative to the working directory, so this changes it to
 * dir for the time of the extraction (not for threads).
 */
static int
unpack (int fd, const char *dir, bool layer, const char *what, int64_t *size, loom_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct archive *w = archive_write_disk_new ();
  struct archive_entry *e;
  loom_autoclose int cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  loom_autoclose int dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS
              | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM
              | ARCHIVE_EXTRACT_TIME;
  int ret = 0, r;
  int64_t total = 0;
  size_t entries = 0;

  if (layer)
    flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL
             | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_UNLINK;
  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  archive_write_disk_set_options (w, flags);
  if (cwd < 0 || dirfd < 0 || chdir (dir) < 0)
    {
      ret = loom_error_make (err, errno, "%s: enter %s", what, dir);
      goto out;
    }
  if (archive_read_open_fd (a, fd, 65536) != ARCHIVE_OK)
    {
      ret = loom_error_make (err, 0, "%s: not a tar archive (%s)", what, archive_error_string (a));
      goto out;
    }
  for (;;)
    {
      const char *path, *rel, *base, *link;
      r = archive_read_next_header (a, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          if (entries == 0)
            ret = loom_error_make (err, 0, "%s: not a tar archive (%s)", what,
                                   archive_error_string (a));
          else
            ret = archive_err (err, a, what);
          goto out;
        }
      entries++;
      path = archive_entry_pathname (e);
      if (path == NULL)
        continue;
      if (path[0] == '/' || has_dotdot (path))
        {
          ret = loom_error_make (err, 0, "%s: unsafe path '%s' in the archive", what, path);
          goto out;
        }
      link = archive_entry_hardlink (e);
      if (link && (link[0] == '/' || has_dotdot (link)))
        {
          ret = loom_error_make (err, 0, "%s: unsafe hard link '%s' -> '%s'", what, path, link);
          goto out;
        }
      rel = entry_rel (path);
      if (rel == NULL)
        {
          /* The root directory: its mode/owner apply to dir itself. */
          if (!layer)
            continue;
          archive_entry_set_pathname (e, ".");
          rel = ".";
        }
      base = strrchr (rel, '/');
      base = base ? base + 1 : rel;
      if (layer && strncmp (base, ".wh.", 4) == 0)
        {
          if (apply_whiteout (dirfd, rel, err) < 0)
            {
              ret = loom_error_wrap (err, "%s", what);
              goto out;
            }
          continue;
        }
      if (!layer && archive_entry_filetype (e) != AE_IFREG && archive_entry_filetype (e) != AE_IFDIR
          && archive_entry_filetype (e) != AE_IFLNK && link == NULL)
        continue;
      if (archive_entry_filetype (e) == AE_IFREG)
        total += archive_entry_size (e);
      if (layer)
        drop_overlay_xattrs (e);
      r = archive_write_header (w, e);
      if (r < ARCHIVE_WARN)
        {
          ret = loom_error_make (err, 0, "%s: %s: %s", what, path, archive_error_string (w));
          goto out;
        }
      if (archive_entry_size (e) > 0 && link == NULL)
        {
          const void *buf;
          size_t len;
          la_int64_t off;
          while ((r = archive_read_data_block (a, &buf, &len, &off)) == ARCHIVE_OK)
            if (archive_write_data_block (w, buf, len, off) < ARCHIVE_OK)
              {
                ret = loom_error_make (err, 0, "%s: %s: %s", what, path, archive_error_string (w));
                goto out;
              }
          if (r != ARCHIVE_EOF)
            {
              ret = archive_err (err, a, what);
              goto out;
            }
        }
      if (archive_write_finish_entry (w) < ARCHIVE_WARN)
        {
          ret = loom_error_make (err, 0, "%s: %s: %s", what, path, archive_error_string (w));
          goto out;
        }
    }
  if (entries == 0 && !layer) /* an empty layer is a valid layer */
    {
      ret = loom_error_make (err, 0, "%s: empty or not a tar archive", what);
      goto out;
    }
  if (archive_write_close (w) < ARCHIVE_WARN)
    {
      ret = loom_error_make (err, 0, "%s: %s", what, archive_error_string (w));
      goto out;
    }
  if (size)
    *size = total;
out:
  if (cwd >= 0 && cwd_restore (cwd) < 0 && ret == 0)
    ret = loom_error_make (err, errno, "restore the working directory");
  archive_read_free (a);
  archive_write_free (w);
  return ret;
}

/* ---------- import: formats ---------- */

/* One image found in the archive. */
struct found
{
  char *config_path; /* relative to the unpacked archive */
  char *config_hex;
  char **layer_paths;
  size_t n_layers;
  json_t *names; /* array of raw names */
};

static void
found_free (struct found *f)
{
  free (f->config_path);
  free (f->config_hex);
  strv_free (f->layer_paths, f->n_layers);
  json_decref (f->names);
}

static char *
blob_path (const char *digest, loom_error_t *err)
{
  const char *hex = digest_hex (digest);
  if (hex == NULL)
    return loom_error_make (err, 0, "'%s' is not a sha256 digest", digest ? digest : "(none)"),
           NULL;
  return loom_xasprintf ("blobs/sha256/%s", hex);
}

static bool
is_index_type (const char *mt)
{
  return mt
         && (strcmp (mt, "application/vnd.oci.image.index.v1+json") == 0
             || strcmp (mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* From an index's manifests, picks this machine's (amd64/linux) or the only one. */
static json_t *
pick_platform (json_t *manifests)
{
  size_t i;
  json_t *m;
#if defined(__x86_64__)
  const char *arch = "amd64";
#elif defined(__aarch64__)
  const char *arch = "arm64";
#else
  const char *arch = "";
#endif
  json_array_foreach (manifests, i, m)
    {
      const char *a
          = json_string_value (json_object_get (json_object_get (m, "platform"), "architecture"));
      if (a == NULL || strcmp (a, arch) == 0)
        return m;
    }
  return json_array_get (manifests, 0);
}

static int
oci_manifest (int dirfd, json_t *desc, json_t *names, struct found *out, int depth,
              loom_error_t *err)
{
  const char *mt = json_string_value (json_object_get (desc, "mediaType"));
  loom_autofree char *path = blob_path (json_string_value (json_object_get (desc, "digest")), err);
  json_t *m, *l;
  size_t i;

  if (path == NULL)
    return loom_error_wrap (err, "OCI layout: index.json");
  m = read_json_in (dirfd, path, "OCI layout: manifest", err);
  if (m == NULL)
    return -1;
  if (mt == NULL)
    mt = json_string_value (json_object_get (m, "mediaType"));
  if (is_index_type (mt) || (json_object_get (m, "manifests") && !json_object_get (m, "layers")))
    {
      json_t *pick = pick_platform (json_object_get (m, "manifests"));
      int r;
      if (pick == NULL || depth > 4)
        {
          json_decref (m);
          return loom_error_make (err, 0, "OCI layout: %s: an index without manifests", path);
        }
      r = oci_manifest (dirfd, pick, names, out, depth + 1, err);
      json_decref (m);
      return r;
    }
  out->config_path = blob_path (
      json_string_value (json_object_get (json_object_get (m, "config"), "digest")), err);
  if (out->config_path == NULL)
    {
      json_decref (m);
      return loom_error_wrap (err, "OCI layout: manifest %s: config", path);
    }
  out->config_hex = loom_xstrdup (strrchr (out->config_path, '/') + 1);
  json_array_foreach (json_object_get (m, "layers"), i, l)
    {
      char *lp = blob_path (json_string_value (json_object_get (l, "digest")), err);
      if (lp == NULL)
        {
          json_decref (m);
          return loom_error_wrap (err, "OCI layout: manifest %s: layer %zu", path, i + 1);
        }
      LOOM_PUSH (out->layer_paths, out->n_layers, lp);
    }
  out->names = json_incref (names);
  json_decref (m);
  return 0;
}

/* Names docker's manifest.json gives the image whose config is config_hex. */
static json_t *
docker_names_for (json_t *dmanifest, const char *config_hex)
{
  size_t i;
  json_t *e;
  json_array_foreach (dmanifest, i, e)
    {
      const char *c = json_string_value (json_object_get (e, "Config"));
      if (c && strstr (c, config_hex))
        return json_incref (json_object_get (e, "RepoTags"));
    }
  return NULL;
}

static int
read_oci (int dirfd, json_t *dmanifest, struct found **out, size_t *n_out, loom_error_t *err)
{
  json_t *index = read_json_in (dirfd, "index.json", "OCI layout", err), *d;
  size_t i;

  if (index == NULL)
    return -1;
  json_array_foreach (json_object_get (index, "manifests"), i, d)
    {
      struct found f = { 0 };
      json_t *ann = json_object_get (d, "annotations");
      const char *n = json_string_value (json_object_get (ann, "io.containerd.image.name"));
      json_t *names = json_array ();

      if (n)
        json_array_append_new (names, json_string (n));
      else
        {
          n = json_string_value (json_object_get (ann, "org.opencontainers.image.ref.name"));
          /* A full reference ("web:1"); a bare tag ("latest") names no repository. */
          if (n && (strchr (n, ':') || strchr (n, '/')))
            json_array_append_new (names, json_string (n));
        }
      if (oci_manifest (dirfd, d, names, &f, 0, err) < 0)
        {
          json_decref (names);
          json_decref (index);
          found_free (&f);
          return -1;
        }
      json_decref (names);
      if (json_array_size (f.names) == 0 && dmanifest)
        {
          json_t *dn = docker_names_for (dmanifest, f.config_hex);
          if (dn)
            {
              json_decref (f.names);
              f.names = dn;
            }
        }
      LOOM_PUSH (*out, *n_out, f);
    }
  json_decref (index);
  if (*n_out == 0)
    return loom_error_make (err, 0, "OCI layout: index.json lists no manifests");
  return 0;
}

static int
read_docker (int dirfd, json_t *dmanifest, struct found **out, size_t *n_out, loom_error_t *err)
{
  size_t i, j;
  json_t *e, *l;

  if (!json_is_array (dmanifest) || json_array_size (dmanifest) == 0)
    return loom_error_make (err, 0,
                            "docker save archive: manifest.json: expected an array of images "
                            "(Config, RepoTags, Layers)");
  json_array_foreach (dmanifest, i, e)
    {
      struct found f = { 0 };
      const char *c = json_string_value (json_object_get (e, "Config"));
      const char *base;
      loom_autofree char *hex = NULL;

      if (c == NULL || !json_is_array (json_object_get (e, "Layers")))
        return loom_error_make (err, 0,
                                "docker save archive: manifest.json: image %zu has no Config or "
                                "Layers",
                                i + 1);
      base = strrchr (c, '/');
      base = base ? base + 1 : c;
      hex = loom_xstrndup (base, strcspn (base, "."));
      if (!is_hex64 (hex))
        return loom_error_make (err, 0,
                                "docker save archive: manifest.json: Config '%s' is not named by "
                                "its sha256",
                                c);
      f.config_path = loom_xstrdup (c);
      f.config_hex = loom_steal (&hex);
      json_array_foreach (json_object_get (e, "Layers"), j, l)
        {
          char *lp = loom_xstrdup (json_string_value (l) ? json_string_value (l) : "");
          LOOM_PUSH (f.layer_paths, f.n_layers, lp);
        }
      f.names = json_object_get (e, "RepoTags");
      f.names = json_is_array (f.names) ? json_incref (f.names) : json_array ();
      LOOM_PUSH (*out, *n_out, f);
    }
  return 0;
}

/* ---------- import ---------- */

static int64_t
layer_size (const char *hex)
{
  loom_autofree char *p = loom_xasprintf ("%s/layers/%s.json", loom_image_dir (), hex);
  loom_error_t e = NULL;
  json_t *j = read_json (p, &e);
  int64_t s;
  loom_error_release (&e);
  s = json_integer_value (json_object_get (j, "size"));
  json_decref (j);
  return s;
}

/* Unpacks one layer unless the store has it. Called with the lock held. */
static int
import_layer (int dirfd, const char *blob, const char *hex, loom_error_t *err)
{
  loom_autofree char *final = layer_dir (hex);
  loom_autofree char *tmp = NULL;
  loom_autofree char *meta = NULL;
  loom_autofree char *what = NULL;
  loom_autoclose int fd = -1;
  struct stat st;
  int64_t size = 0;
  loom_error_t e = NULL;
  json_t *j;

  if (stat (final, &st) == 0)
    return 0; /* shared with an image already in the store */
  fd = open_in (dirfd, blob, O_RDONLY);
  if (fd < 0)
    return loom_error_make (err, errno, "layer %s: %s is missing from the archive", hex, blob);
  tmp = loom_xasprintf ("%s/layers/.tmp-%.12s-XXXXXX", loom_image_dir (), hex);
  if (mkdtemp (tmp) == NULL)
    return loom_error_make (err, errno, "mkdtemp %s", tmp);
  chmod (tmp, 0755);
  what = loom_xasprintf ("layer sha256:%.12s (%s)", hex, blob);
  if (unpack (fd, tmp, true, what, &size, err) < 0)
    {
      loom_rm_rf (tmp, &e);
      loom_error_release (&e);
      return -1;
    }
  meta = loom_xasprintf ("%s.json", final);
  j = json_pack ("{s:I}", "size", (json_int_t) size);
  if (write_json_atomic (meta, j, err) < 0 || rename (tmp, final) < 0)
    {
      if (*err == NULL)
        loom_error_make (err, errno, "rename %s to %s", tmp, final);
      json_decref (j);
      loom_rm_rf (tmp, &e);
      loom_error_release (&e);
      return -1;
    }
  json_decref (j);
  return 0;
}

/* Takes @name from every other image (as docker moves a tag). Lock held. */
static int
take_name (const char *name, const char *keep_id, loom_error_t *err)
{
  json_t *all = load_records (), *rec;
  size_t i;

  json_array_foreach (all, i, rec)
    {
      json_t *names = json_object_get (rec, "names");
      size_t j;
      bool changed = false;
      const char *id = json_string_value (json_object_get (rec, "id"));
      if (id == NULL || strcmp (id, keep_id) == 0)
        continue;
      for (j = 0; j < json_array_size (names);)
        if (strcmp (json_string_value (json_array_get (names, j)), name) == 0)
          {
            json_array_remove (names, j);
            changed = true;
          }
        else
          j++;
      if (changed)
        {
          loom_autofree char *file
              = loom_xstrdup (json_string_value (json_object_get (rec, "_file")));
          json_object_del (rec, "_file");
          if (write_json_atomic (file, rec, err) < 0)
            {
              json_decref (all);
              return -1;
            }
        }
    }
  json_decref (all);
  return 0;
}

/* Removes leftovers of crashed imports: layers being unpacked (the lock is held, so no
 * live import is unpacking one) and unpacked archives whose import process is gone. */
static void
sweep_tmp (void)
{
  loom_autofree char *tmpdir = loom_xasprintf ("%s/tmp", loom_image_dir ());
  DIR *t = opendir (tmpdir);
  struct dirent *te;

  while (t && (te = readdir (t)))
    {
      int pid;
      if (sscanf (te->d_name, "import-%d-", &pid) == 1 && pid > 0 && kill ((pid_t) pid, 0) < 0
          && errno == ESRCH)
        {
          loom_autofree char *p = loom_xasprintf ("%s/%s", tmpdir, te->d_name);
          loom_error_t e = NULL;
          loom_rm_rf (p, &e);
          loom_error_release (&e);
        }
    }
  if (t)
    closedir (t);

  loom_autofree char *layers = loom_xasprintf ("%s/layers", loom_image_dir ());
  DIR *d = opendir (layers);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    if (strncmp (de->d_name, ".tmp-", 5) == 0)
      {
        loom_autofree char *p = loom_xasprintf ("%s/%s", layers, de->d_name);
        loom_error_t e = NULL;
        loom_rm_rf (p, &e);
        loom_error_release (&e);
      }
  closedir (d);
}

static int
store_image (int dirfd, struct found *f, const char *format, const char *tag, json_t *names_out,
             loom_error_t *err)
{
  json_t *cfg = read_json_in (dirfd, f->config_path, "image config", err);
  json_t *diff_ids, *layers, *names, *c, *rec, *old, *n;
  loom_autofree char *id = loom_xasprintf ("sha256:%s", f->config_hex);
  loom_autofree char *file = NULL;
  int64_t size = 0;
  size_t i;
  loom_error_t e = NULL;

  if (cfg == NULL)
    return -1;
  diff_ids = json_object_get (json_object_get (cfg, "rootfs"), "diff_ids");
  if (!json_is_array (diff_ids) || json_array_size (diff_ids) != f->n_layers)
    {
      json_decref (cfg);
      return loom_error_make (err, 0,
                              "image config %s: rootfs.diff_ids has %zu entries for %zu layers",
                              f->config_path, json_array_size (diff_ids), f->n_layers);
    }
  layers = json_array ();
  for (i = 0; i < f->n_layers; i++)
    {
      const char *d = json_string_value (json_array_get (diff_ids, i));
      const char *hex = digest_hex (d);
      if (hex == NULL)
        {
          json_decref (cfg);
          json_decref (layers);
          return loom_error_make (err, 0, "image config %s: diff_id '%s' is not a sha256 digest",
                                  f->config_path, d ? d : "(none)");
        }
      if (import_layer (dirfd, f->layer_paths[i], hex, err) < 0)
        {
          json_decref (cfg);
          json_decref (layers);
          return -1;
        }
      size += layer_size (hex);
      json_array_append_new (layers, json_string (d));
    }

  names = json_array ();
  old = find_record (id, NULL, &e); /* a re-import keeps the names it had */
  loom_error_release (&e);
  json_array_foreach (json_object_get (old, "names"), i, n)
    {
      json_array_append (names, n);
    }
  json_decref (old);
  {
    json_t *raw = json_copy (f->names);
    if (tag)
      json_array_append_new (raw, json_string (tag));
    json_array_foreach (raw, i, n)
      {
        loom_autofree char *norm = normalise_name (json_string_value (n), &e);
        loom_error_release (&e);
        if (norm == NULL)
          continue;
        if (!strv_json_has (names, norm))
          json_array_append_new (names, json_string (norm));
        if (take_name (norm, id, err) < 0)
          {
            json_decref (raw);
            json_decref (names);
            json_decref (layers);
            json_decref (cfg);
            return -1;
          }
      }
    json_decref (raw);
  }
  c = json_object_get (cfg, "config");
  if (!json_is_object (c))
    c = json_object_get (cfg, "container_config");
  {
    json_t *conf = json_object ();
    static const char *keys[]
        = { "Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts" };
    size_t k;
    for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
      if (json_object_get (c, keys[k]) && !json_is_null (json_object_get (c, keys[k])))
        json_object_set (conf, keys[k], json_object_get (c, keys[k]));
    loom_autofree char *imported = now_rfc3339 ();
    rec = json_pack ("{s:s, s:o, s:o, s:o, s:s, s:I, s:s, s:s}", "id", id, "names", names, "layers",
                     layers, "config", conf, "created",
                     json_string_value (json_object_get (cfg, "created"))
                         ? json_string_value (json_object_get (cfg, "created"))
                         : "-",
                     "size", (json_int_t) size, "format", format, "imported", imported);
  }
  json_decref (cfg);
  file = loom_xasprintf ("%s/images/%s.json", loom_image_dir (), f->config_hex);
  if (write_json_atomic (file, rec, err) < 0)
    {
      json_decref (rec);
      return -1;
    }
  json_array_foreach (json_object_get (rec, "names"), i, n)
    {
      json_array_append (names_out, n);
    }
  if (json_array_size (json_object_get (rec, "names")) == 0)
    json_array_append_new (names_out, json_string (id));
  json_decref (rec);
  return 0;
}

int
loom_image_import (const char *path, const char *tag, json_t **names, loom_error_t *err)
{
  loom_autofree char *tmp = NULL;
  loom_autofree char *norm_tag = NULL;
  loom_autoclose int fd = -1;
  loom_autoclose int dirfd = -1;
  auto_lock int lock = -1;
  struct found *found = NULL;
  size_t n_found = 0, i;
  json_t *dmanifest = NULL, *out = json_array ();
  loom_error_t e = NULL;
  struct stat st;
  const char *format;
  const char *what = strcmp (path, "-") == 0 ? "standard input" : path;
  int ret = -1;

  if (tag)
    {
      norm_tag = normalise_name (tag, err);
      if (norm_tag == NULL)
        goto out;
    }
  if (strcmp (path, "-") == 0)
    fd = dup (0);
  else
    fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      loom_error_make (err, errno, "open %s", path);
      goto out;
    }
  lock = store_lock (err); /* also makes the store's directories */
  if (lock < 0)
    goto out;
  lock_release (&lock);
  lock = -1;
  tmp = loom_xasprintf ("%s/tmp/import-%d-XXXXXX", loom_image_dir (), (int) getpid ());
  if (mkdtemp (tmp) == NULL)
    {
      loom_error_make (err, errno, "mkdtemp %s", tmp);
      free (tmp);
      tmp = NULL;
      goto out;
    }
  if (unpack (fd, tmp, false, "the archive", NULL, err) < 0)
    goto out;
  dirfd = open (tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      loom_error_make (err, errno, "open %s", tmp);
      goto out;
    }
  if (fstatat (dirfd, "manifest.json", &st, 0) == 0)
    {
      dmanifest = read_json_in (dirfd, "manifest.json", "docker save archive", err);
      if (dmanifest == NULL)
        goto out;
    }
  if (fstatat (dirfd, "index.json", &st, 0) == 0 && fstatat (dirfd, "oci-layout", &st, 0) == 0)
    {
      format = "oci";
      if (read_oci (dirfd, dmanifest, &found, &n_found, err) < 0)
        goto out;
    }
  else if (dmanifest)
    {
      format = "docker-save";
      if (read_docker (dirfd, dmanifest, &found, &n_found, err) < 0)
        goto out;
    }
  else
    {
      loom_error_make (err, 0,
                       "%s is neither a `docker save` archive (manifest.json) nor an OCI image "
                       "layout (oci-layout, index.json)",
                       what);
      goto out;
    }
  if (tag && n_found > 1)
    {
      loom_error_make (err, 0, "%s holds %zu images: --tag needs an archive of one image", what,
                       n_found);
      goto out;
    }

  lock = store_lock (err);
  if (lock < 0)
    goto out;
  sweep_tmp ();
  for (i = 0; i < n_found; i++)
    if (store_image (dirfd, &found[i], format, norm_tag, out, err) < 0)
      goto out;
  ret = 0;
  *names = loom_steal (&out);
out:
  if (ret < 0 && *err)
    loom_error_wrap (err, "importing %s", what);
  if (tmp)
    {
      loom_rm_rf (tmp, &e);
      loom_error_release (&e);
    }
  for (i = 0; i < n_found; i++)
    found_free (&found[i]);
  free (found);
  json_decref (dmanifest);
  json_decref (out);
  return ret;
}

/* ---------- list, inspect, remove ---------- */

static json_t *
summary (json_t *rec)
{
  return json_pack ("{s:O, s:O, s:O, s:O, s:I, s:b}", "id", json_object_get (rec, "id"), "names",
                    json_object_get (rec, "names"), "created", json_object_get (rec, "created"),
                    "layers", json_object_get (rec, "layers"), "size",
                    json_integer_value (json_object_get (rec, "size")), "builtin",
                    json_is_true (json_object_get (rec, "builtin")));
}

/* Images by name; those without a name last, by id. */
static int
cmp_records (const void *a, const void *b)
{
  json_t *ra = *(json_t *const *) a, *rb = *(json_t *const *) b;
  const char *na = json_string_value (json_array_get (json_object_get (ra, "names"), 0));
  const char *nb = json_string_value (json_array_get (json_object_get (rb, "names"), 0));

  if (na && nb)
    return strcmp (na, nb);
  if (na || nb)
    return na ? -1 : 1;
  return strcmp (json_string_value (json_object_get (ra, "id")) ?: "",
                 json_string_value (json_object_get (rb, "id")) ?: "");
}

json_t *
loom_image_list (loom_error_t *err)
{
  json_t *all = load_records (), *rec, *out = json_array ();
  bool has_busybox = false, has_host = false, has_frr = false;
  loom_error_t e = NULL;
  size_t i, n = json_array_size (all);
  json_t **sorted = loom_xcalloc (n + 1, sizeof (json_t *));

  json_array_foreach (all, i, rec)
    {
      has_busybox |= record_has_name (rec, "busybox:latest");
      has_host |= record_has_name (rec, "host:latest");
      has_frr |= record_has_name (rec, "frr:latest");
      sorted[i] = rec;
    }
  qsort (sorted, n, sizeof (json_t *), cmp_records);
  for (i = 0; i < n; i++)
    json_array_append_new (out, summary (sorted[i]));
  free (sorted);
  json_decref (all);
  if (!has_busybox)
    {
      rec = lookup ("busybox", false, NULL, &e);
      loom_error_release (&e);
      if (rec)
        json_array_append_new (out, summary (rec));
      json_decref (rec);
    }
  if (!has_host)
    {
      rec = host_record ();
      json_array_append_new (out, summary (rec));
      json_decref (rec);
    }
  if (!has_frr)
    {
      rec = frr_record ();
      json_array_append_new (out, summary (rec));
      json_decref (rec);
    }
  return out;
}

json_t *
loom_image_inspect (const char *name, loom_error_t *err)
{
  loom_autofree char *found = NULL;
  loom_error_t e = NULL;
  json_t *rec = resolve_record (name, true, &found, &e);
  struct loom_image *img;
  json_t *dirs;
  size_t i;

  /* A user who cannot write the store still sees a built-in image not yet made. */
  if (rec == NULL && e && (e->status == EACCES || e->status == EPERM || e->status == EROFS))
    {
      loom_error_release (&e);
      rec = resolve_record (name, false, &found, &e);
    }
  if (rec == NULL)
    {
      loom_error_move (err, &e);
      return NULL;
    }
  json_object_del (rec, "_file");
  img = image_from_record (rec, found);
  dirs = json_array ();
  for (i = 0; i < img->n_layers; i++)
    json_array_append_new (dirs, json_string (img->layers[i]));
  json_object_set_new (rec, "layer_dirs", dirs);
  json_object_set_new (rec, "resolved_name", json_string (found));
  loom_image_free (img);
  return rec;
}

/* Whether any image left in the store uses the layer. */
static bool
layer_in_use (json_t *all, const char *digest)
{
  size_t i, j;
  json_t *rec, *l;
  json_array_foreach (all, i, rec)
    {
      json_array_foreach (json_object_get (rec, "layers"), j, l)
        {
          if (json_is_string (l) && strcmp (json_string_value (l), digest) == 0)
            return true;
        }
    }
  return false;
}

/* Whether a mount on this machine (any mount namespace) uses dir as an overlay layer. */
static bool
layer_mounted (const char *dir)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  bool found = false;
  const char *pat = dir;
  ino_t *seen = NULL; /* mount namespaces read already: most processes share one */
  size_t n_seen = 0, i;

  if (d == NULL)
    return false;
  while (!found && (de = readdir (d)))
    {
      loom_autofree char *p = NULL;
      loom_autofree char *ns = NULL;
      loom_autofree char *text = NULL;
      loom_error_t e = NULL;
      const char *s;
      size_t len;
      struct stat st;

      if (!isdigit ((unsigned char) de->d_name[0]))
        continue;
      ns = loom_xasprintf ("/proc/%s/ns/mnt", de->d_name);
      if (stat (ns, &st) == 0)
        {
          for (i = 0; i < n_seen && seen[i] != st.st_ino; i++)
            ;
          if (i < n_seen)
            continue;
          LOOM_PUSH (seen, n_seen, st.st_ino);
        }
      p = loom_xasprintf ("/proc/%s/mountinfo", de->d_name);
      if (loom_read_file (p, &text, &len, &e) < 0)
        {
          loom_error_release (&e);
          continue;
        }
      for (s = text; (s = strstr (s, pat)); s += strlen (pat))
        {
          char after = s[strlen (pat)];
          if ((s > text && (s[-1] == '=' || s[-1] == ':'))
              && (after == ':' || after == ',' || after == '\n' || after == ' '))
            {
              found = true;
              break;
            }
        }
    }
  closedir (d);
  free (seen);
  return found;
}

int
loom_image_remove (const char *name, loom_error_t *err)
{
  auto_lock int lock = -1;
  loom_autofree char *norm = NULL;
  loom_autofree char *file = NULL;
  json_t *rec, *names, *all, *l;
  loom_error_t e = NULL;
  size_t i;
  bool by_name;

  lock = store_lock (err);
  if (lock < 0)
    return -1;
  norm = normalise_name (name, err);
  if (norm == NULL)
    return -1;
  rec = find_record (name, norm, err);
  if (rec == NULL)
    {
      if (*err)
        return -1;
      if (strcmp (norm, "busybox:latest") == 0 || strcmp (norm, "host:latest") == 0
          || strcmp (norm, "frr:latest") == 0)
        return loom_error_make (err, 0, "'%s' is a built-in image: it cannot be removed", name);
      return loom_error_make (err, 0, "no image '%s' in the local store (%s)", name,
                              loom_image_dir ());
    }
  file = loom_xstrdup (json_string_value (json_object_get (rec, "_file")));
  json_object_del (rec, "_file");
  names = json_object_get (rec, "names");
  by_name = record_has_name (rec, norm);
  if (by_name && json_array_size (names) > 1)
    {
      for (i = 0; i < json_array_size (names); i++)
        if (strcmp (json_string_value (json_array_get (names, i)), norm) == 0)
          json_array_remove (names, i--);
      i = write_json_atomic (file, rec, err) < 0;
      json_decref (rec);
      return i ? -1 : 0;
    }
  /* The image goes: refuse when a running container has one of its own layers
   * mounted (a layer another image shares stays anyway). */
  all = load_records ();
  for (i = 0; i < json_array_size (all); i++)
    if (strcmp (json_string_value (json_object_get (json_array_get (all, i), "_file")), file) == 0)
      json_array_remove (all, i--);
  json_array_foreach (json_object_get (rec, "layers"), i, l)
    {
      const char *hex = digest_hex (json_string_value (l));
      loom_autofree char *dir = hex ? layer_dir (hex) : NULL;
      if (dir && !layer_in_use (all, json_string_value (l)) && layer_mounted (dir))
        {
          json_decref (all);
          json_decref (rec);
          return loom_error_make (err, 0,
                                  "image '%s' is in use: its layer %s is mounted (destroy the lab "
                                  "that runs it first)",
                                  name, dir);
        }
    }
  json_decref (all);
  if (unlink (file) < 0)
    {
      json_decref (rec);
      return loom_error_make (err, errno, "remove %s", file);
    }
  all = load_records ();
  json_array_foreach (json_object_get (rec, "layers"), i, l)
    {
      const char *hex = digest_hex (json_string_value (l));
      loom_autofree char *dir = NULL;
      loom_autofree char *gone = NULL;
      loom_autofree char *meta = NULL;
      if (hex == NULL || layer_in_use (all, json_string_value (l)))
        continue;
      dir = layer_dir (hex);
      gone = loom_xasprintf ("%s/layers/.tmp-rm-%.12s-%d", loom_image_dir (), hex, (int) getpid ());
      meta = loom_xasprintf ("%s.json", dir);
      if (rename (dir, gone) == 0)
        loom_rm_rf (gone, &e);
      loom_error_release (&e);
      unlink (meta);
    }
  json_decref (all);
  json_decref (rec);
  return 0;
}
