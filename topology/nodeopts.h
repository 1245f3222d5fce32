/* Parsers for the values of a node's container, VM, NAT and published-port settings
 * (cmd, ports, hostfwd, memory, user, hostname, image names, env files). Pure string
 * functions, shared by the lab-file parser and usable by the CLI; each returns 0 or -1
 * and sets *why to a static explanation of what was expected. */
#ifndef LOOM_TOPOLOGY_NODEOPTS_H
#define LOOM_TOPOLOGY_NODEOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topology/model.h"

/* Splits @text into words as a POSIX shell does, without any expansion: blanks separate
 * words, '...' is literal, "..." honours \ before $ ` " \ and newline, a backslash outside
 * quotes quotes the next character. *argv (NULL-free array of *argc strings) is owned by
 * the caller. Fails on an unterminated quote or a trailing backslash. */
int loom_argv_split (const char *text, char ***argv, size_t *argc, const char **why);

/* "[host_addr:]host_port:node_port[/tcp|/udp]" (an IPv6 host address in brackets), or
 * with @hostfwd "[host_addr:]host_port:lab_addr:lab_port[/tcp|/udp]" (lab_addr IPv4).
 * Fills every field of @out but text and mark; host_addr is normalised ("::1"). */
int loom_port_parse (const char *text, bool hostfwd, struct loom_port *out, const char **why);

/* True when @a and @b cannot both be bound: same protocol and port, and the same address
 * or a wildcard (0.0.0.0 covers every IPv4 address, :: every address). */
bool loom_port_conflict (const struct loom_port *a, const struct loom_port *b);

/* A memory size: bytes, or a whole number and a unit k/m/g/t (KiB, MiB ...; "Mb", "M" and
 * "MiB" are all 2^20: memory sizes are binary), case-insensitive. Must be > 0. */
int loom_memory_parse (const char *text, uint64_t *out, const char **why);

/* "name", "uid", "uid:gid", "name:group". */
bool loom_user_valid (const char *text);
/* Dot-separated RFC 1123 labels (letters, digits, '-', not at either end), each at most
 * 63 characters, at most 64 in all (the kernel's limit for a host name). */
bool loom_hostname_valid (const char *text);
/* An OCI image reference: [registry[:port]/]path[:tag][@algo:hex], path components
 * lowercase. */
bool loom_image_ref_valid (const char *text, const char **why);

/* One line of an env file: "KEY=VALUE", "export KEY=VALUE", blank or a # comment. Returns
 * 1 with *key and *value (owned by the caller; one pair of surrounding quotes removed from
 * the value), 0 for a line to skip, -1 when malformed. */
int loom_envfile_line (const char *line, char **key, char **value, const char **why);

#endif
