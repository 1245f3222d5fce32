/* Internal to core: where a lab's state lives and how it is written. */
#ifndef LOOM_STATE_H
#define LOOM_STATE_H

#include <jansson.h>

#include "core/node.h"

/* /run/netloom/<lab> (owned by the caller). */
char *loom_state_dir (const char *lab);

/* The resolved lab as JSON: what state.json and topology-data.json hold. */
json_t *loom_state_build (const struct loom_lab *lab, const struct loom_node_rt *rt,
                          const char *file_abs, const char *labdir, const char *status);

/* Writes JSON to path atomically (temp file + rename). */
int loom_json_write (const char *path, json_t *obj, loom_error_t *err);

#endif
