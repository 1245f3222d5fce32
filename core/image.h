/* The local image store: container root file systems without a registry or an engine.
 *
 * `netloom image import FILE` reads a `docker save` archive or an OCI image layout (tar,
 * optionally compressed) and keeps each layer once, unpacked, under its content digest:
 *   <root>/layers/<sha256 of the uncompressed layer tar>/   the layer's files, with
 *        whiteouts turned into overlayfs whiteouts (0:0 character devices) and opaque
 *        directories marked (trusted.overlay.opaque), so the layers are overlay lower
 *        directories as they are;
 *   <root>/images/<id>.json   one image: its names, its layers (lowest first), its config.
 * The root is $NETLOOM_IMAGE_DIR or /var/lib/netloom/images.
 *
 * Built-in images need no import: "busybox" (made on first use from the host's
 * busybox-static) and "host" (the host's own root, "/", as the only layer: shared with
 * the host read-only, by design). An imported image of the same name wins. An alias
 * table (/etc/netloom/images.yaml, or $NETLOOM_IMAGE_ALIASES) maps names a lab may use
 * ("alpine:3", "frrouting/frr:latest") to local images. */
#ifndef LOOM_IMAGE_H
#define LOOM_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define LOOM_IMAGE_DIR_DEFAULT "/var/lib/netloom/images"
#define LOOM_IMAGE_ALIASES_DEFAULT "/etc/netloom/images.yaml"

/* A resolved image: what a container needs to start from it. */
struct loom_image
{
  char *id;      /* "sha256:..." of the config (or "builtin:busybox", "builtin:host") */
  char *name;    /* the name it was found by, after aliases ("busybox:latest") */
  char **layers; /* absolute directories, lowest layer first (overlayfs's lowerdir=
                  * lists the highest first); each directory at most once */
  size_t n_layers;
  /* Config defaults (NULL / 0 when the image gives none). */
  char **env; /* "KEY=VALUE" */
  size_t n_env;
  char **cmd;
  size_t n_cmd;
  char **entrypoint;
  size_t n_entrypoint;
  char *workdir;
  char *user;
  char **exposed; /* "80/tcp" */
  size_t n_exposed;
};

/* The store's root: $NETLOOM_IMAGE_DIR or LOOM_IMAGE_DIR_DEFAULT. */
const char *loom_image_dir (void);

/**
 * loom_image_resolve() - find an image by the name a lab file gives.
 * @name: "busybox", "web:1", "alpine:3" (aliases apply; a missing tag means "latest"),
 *        or an id prefix ("sha256:ab12...").
 *
 * Returns the image (free with loom_image_free()) or NULL with *err. When the image is
 * not in the store, the error says how to import it.
 */
struct loom_image *loom_image_resolve (const char *name, loom_error_t *err);
void loom_image_free (struct loom_image *img);

/* True when @name resolves (built-ins and aliases included); never fails. */
bool loom_image_exists (const char *name);

/**
 * loom_image_import() - import a docker-save archive or an OCI image layout (tar).
 * @path: the archive ("-" for stdin).
 * @tag: extra name to give the image, or NULL to keep the names the archive has.
 * @names: receives the names of the imported images (a JSON array, new reference).
 */
int loom_image_import (const char *path, const char *tag, json_t **names, loom_error_t *err);

/* Every image in the store (and the built-ins): array of objects with id, names,
 * size, created, layers. New reference. */
json_t *loom_image_list (loom_error_t *err);
/* One image's full record (config included). New reference. */
json_t *loom_image_inspect (const char *name, loom_error_t *err);
/* Removes a name; the image goes when it has no name left, and each layer when no
 * image uses it any more. */
int loom_image_remove (const char *name, loom_error_t *err);

#endif
