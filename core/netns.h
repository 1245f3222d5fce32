/* Named network namespaces, compatible with `ip netns`: /run/netns/<name> is a bind
 * mount of the namespace, so users can `ip netns exec` into any node. A namespace is
 * created by the calling thread (unshare affects one thread only), so workers can
 * create many in parallel. */
#ifndef LOOM_NETNS_H
#define LOOM_NETNS_H

#include <stdbool.h>

#include "core/error.h"

#define LOOM_NETNS_DIR "/run/netns"

/* Makes /run/netns exist and be a shared mount point, as `ip netns add` does. */
int loom_netns_rundir_prepare (loom_error_t *err);

/**
 * loom_netns_claim() - take a namespace name: create the empty /run/netns/<name>
 * placeholder with O_EXCL. Fails with EEXIST when the name belongs to something else.
 */
int loom_netns_claim (const char *name, loom_error_t *err);

/**
 * loom_netns_create() - create the network namespace for a claimed name.
 *
 * Leaves the calling thread inside the new namespace (so it can be configured right
 * away) and returns an fd for it (owned by the caller). Removes the placeholder again
 * when it fails.
 */
int loom_netns_create (const char *name, loom_error_t *err);

/* Opens /run/netns/<name>; returns an fd. */
int loom_netns_open (const char *name, loom_error_t *err);

/* Moves the calling thread into the namespace behind nsfd. */
int loom_netns_enter (int nsfd, loom_error_t *err);

/* Unmounts and unlinks /run/netns/<name>. Missing is fine; a file there that is not a
 * namespace mount is left alone unless it is the empty placeholder claim makes. With
 * placeholder_only, a mounted namespace is left alone too (the name was never ours). */
int loom_netns_remove (const char *name, bool placeholder_only, loom_error_t *err);

/* A socket(domain, type, protocol) that belongs to the namespace behind nsfd; the
 * calling thread stays where it is. */
int loom_netns_socket (int nsfd, int domain, int type, int protocol, loom_error_t *err);

/* True when /run/netns/<name> is a mounted namespace. */
bool loom_netns_exists (const char *name);

/* An fd for the namespace the process started in (opened once, kept). */
int loom_netns_host_fd (void);

#endif
