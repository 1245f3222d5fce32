/* Parsers for the values of a node's container, VM, NAT and published-port settings: the
 * pieces of nodeopts.h that turn one string into checked data. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/util.h"
#include "topology/nodeopts.h"

/* cmd and entrypoint */

int
loom_argv_split (const char *text, char ***argv, size_t *argc, const char **why)
{
  char **v = NULL, *word;
  size_t n = 0, len = 0;
  const char *p = text;
  bool in_word = false;

  word = loom_xmalloc (strlen (text) + 1);
  while (*p)
    {
      if (*p == ' ' || *p == '\t' || *p == '\n')
        {
          if (in_word)
            {
              word[len] = '\0';
              LOOM_PUSH (v, n, loom_xstrdup (word));
              len = 0;
              in_word = false;
            }
          p++;
          continue;
        }
      in_word = true;
      if (*p == '\'')
        {
          const char *end = strchr (p + 1, '\'');
          if (end == NULL)
            {
              *why = "a closing ' for the quote it opens";
              goto fail;
            }
          memcpy (word + len, p + 1, (size_t) (end - p - 1));
          len += (size_t) (end - p - 1);
          p = end + 1;
        }
      else if (*p == '"')
        {
          for (p++; *p && *p != '"'; p++)
            {
              if (*p == '\\' && p[1] && strchr ("$`\"\\\n", p[1]))
                {
                  p++;
                  if (*p == '\n')
                    continue; /* a line continuation */
                }
              word[len++] = *p;
            }
          if (*p != '"')
            {
              *why = "a closing \" for the quote it opens";
              goto fail;
            }
          p++;
        }
      else if (*p == '\\')
        {
          if (p[1] == '\0')
            {
              *why = "a character after the last backslash";
              goto fail;
            }
          if (p[1] != '\n')
            word[len++] = p[1];
          else if (len == 0)
            in_word = false;
          p += 2;
        }
      else
        word[len++] = *p++;
    }
  if (in_word)
    {
      word[len] = '\0';
      LOOM_PUSH (v, n, loom_xstrdup (word));
    }
  free (word);
  *argv = v;
  *argc = n;
  return 0;

fail:
  free (word);
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
  return -1;
}

/* ports and hostfwd */

static bool
parse_port_num (const char *s, size_t len, uint16_t *out)
{
  unsigned long v = 0;
  size_t i;

  if (len == 0 || len > 5)
    return false;
  for (i = 0; i < len; i++)
    {
      if (!isdigit ((unsigned char) s[i]))
        return false;
      v = v * 10 + (unsigned long) (s[i] - '0');
    }
  if (v < 1 || v > 65535)
    return false;
  *out = (uint16_t) v;
  return true;
}

/* An address of @family (0: either) into @out (normalised); false when it is not one. */
static bool
parse_host (const char *s, size_t len, int family, char out[64])
{
  char buf[64];
  unsigned char bin[16];

  if (len == 0 || len >= sizeof (buf))
    return false;
  memcpy (buf, s, len);
  buf[len] = '\0';
  if (family != AF_INET6 && inet_pton (AF_INET, buf, bin) == 1)
    return inet_ntop (AF_INET, bin, out, 64) != NULL;
  if (family != AF_INET && inet_pton (AF_INET6, buf, bin) == 1)
    return inet_ntop (AF_INET6, bin, out, 64) != NULL;
  return false;
}

int
loom_port_parse (const char *text, bool hostfwd, struct loom_port *out, const char **why)
{
  const char *expected
      = hostfwd ? "[host_addr:]host_port:lab_addr:lab_port[/tcp|/udp] (as in 2222:10.0.2.15:22; "
                  "an IPv6 host address in brackets, ports 1 to 65535)"
                : "[host_addr:]host_port:node_port[/tcp|/udp] (as in 8080:80 or "
                  "127.0.0.1:5353:53/udp; an IPv6 host address in brackets, ports 1 to 65535)";
  const char *p = text, *slash, *end, *parts[4];
  size_t lens[4], n = 0;

  memset (out, 0, sizeof (*out));
  *why = expected;
  out->proto = IPPROTO_TCP;
  slash = strchr (text, '/');
  end = slash ? slash : text + strlen (text);
  if (slash)
    {
      if (strcmp (slash + 1, "tcp") == 0)
        out->proto = IPPROTO_TCP;
      else if (strcmp (slash + 1, "udp") == 0)
        out->proto = IPPROTO_UDP;
      else
        {
          *why = "tcp or udp after the '/'";
          return -1;
        }
    }
  strcpy (out->host_addr, "127.0.0.1");
  if (*p == '[')
    {
      const char *close = memchr (p, ']', (size_t) (end - p));
      if (close == NULL || close[1] != ':'
          || !parse_host (p + 1, (size_t) (close - p - 1), AF_INET6, out->host_addr))
        {
          *why = "an IPv6 address in brackets, then ':' (as in [::1]:8080:80)";
          return -1;
        }
      p = close + 2;
      parts[n] = "";
      lens[n++] = 0; /* the host address, already parsed */
    }
  while (p <= end && n < 4)
    {
      const char *c = memchr (p, ':', (size_t) (end - p));
      if (c == NULL)
        c = end;
      parts[n] = p;
      lens[n++] = (size_t) (c - p);
      p = c + 1;
    }
  if (p <= end)
    return -1; /* more than four parts: an IPv6 address without brackets, most likely */
  if (hostfwd ? n < 3 : n < 2)
    return -1;
  if (n == (hostfwd ? 4u : 3u))
    {
      if (*text != '[' && !parse_host (parts[0], lens[0], AF_INET, out->host_addr))
        {
          *why = "an IPv4 host address (an IPv6 one goes in brackets, as in [::1]:8080:80)";
          return -1;
        }
      memmove (parts, parts + 1, 3 * sizeof (*parts));
      memmove (lens, lens + 1, 3 * sizeof (*lens));
      n--;
    }
  else if (*text == '[' || n != (hostfwd ? 3u : 2u))
    return -1;
  if (!parse_port_num (parts[0], lens[0], &out->host_port))
    {
      *why = "a host port from 1 to 65535";
      return -1;
    }
  if (hostfwd && !parse_host (parts[1], lens[1], AF_INET, out->node_addr))
    {
      *why = "an IPv4 lab address to forward to (as in 2222:10.0.2.15:22)";
      return -1;
    }
  if (!parse_port_num (parts[hostfwd ? 2 : 1], lens[hostfwd ? 2 : 1], &out->node_port))
    {
      *why = hostfwd ? "a lab port from 1 to 65535" : "a node port from 1 to 65535";
      return -1;
    }
  return 0;
}

bool
loom_port_conflict (const struct loom_port *a, const struct loom_port *b)
{
  bool a6 = strchr (a->host_addr, ':') != NULL, b6 = strchr (b->host_addr, ':') != NULL;

  if (a->proto != b->proto || a->host_port != b->host_port)
    return false;
  if (strcmp (a->host_addr, b->host_addr) == 0)
    return true;
  /* :: takes the port on every address (a dual-stack socket); 0.0.0.0 on every IPv4 one. */
  if (strcmp (a->host_addr, "::") == 0 || strcmp (b->host_addr, "::") == 0)
    return true;
  if (strcmp (a->host_addr, "0.0.0.0") == 0 && !b6)
    return true;
  if (strcmp (b->host_addr, "0.0.0.0") == 0 && !a6)
    return true;
  return false;
}

/* memory */

int
loom_memory_parse (const char *text, uint64_t *out, const char **why)
{
  static const char units[] = "kmgt";
  const char *s = text, *u;
  uint64_t v = 0, mult = 1;

  *why = "a size: a number of bytes, or a whole number with a unit (as in 512MiB, 512M, 1g, "
         "1GiB, 64KiB; units are binary)";
  if (!isdigit ((unsigned char) *s))
    return -1;
  for (; isdigit ((unsigned char) *s); s++)
    {
      if (v > (UINT64_MAX - 9) / 10)
        return -1;
      v = v * 10 + (uint64_t) (*s - '0');
    }
  if (*s == ' ' && *++s == '\0')
    return -1;
  if (*s && (u = strchr (units, tolower ((unsigned char) *s))) != NULL)
    {
      mult = 1ull << (10 * (u - units + 1));
      s++;
      if (strcasecmp (s, "ib") == 0 || strcasecmp (s, "b") == 0)
        s += strlen (s);
    }
  else if (strcasecmp (s, "b") == 0)
    s++;
  if (*s)
    return -1;
  if (v > UINT64_MAX / mult)
    return -1;
  if (v == 0)
    {
      *why = "a size greater than 0";
      return -1;
    }
  *out = v * mult;
  return 0;
}

/* user, hostname, image */

static bool
user_part_valid (const char *s, size_t len)
{
  size_t i;
  bool digits = true;

  if (len == 0 || len > 32)
    return false;
  for (i = 0; i < len; i++)
    if (!isdigit ((unsigned char) s[i]))
      digits = false;
  if (digits)
    return len <= 10 && strtoull (s, NULL, 10) <= UINT32_MAX - 1;
  if (!(isalpha ((unsigned char) s[0]) || s[0] == '_'))
    return false;
  for (i = 1; i < len; i++)
    if (!(isalnum ((unsigned char) s[i]) || strchr ("_.-", s[i]) || (s[i] == '$' && i == len - 1)))
      return false;
  return true;
}

bool
loom_user_valid (const char *text)
{
  const char *colon = strchr (text, ':');

  if (colon == NULL)
    return user_part_valid (text, strlen (text));
  return user_part_valid (text, (size_t) (colon - text))
         && user_part_valid (colon + 1, strlen (colon + 1));
}

bool
loom_hostname_valid (const char *text)
{
  const char *p = text;
  size_t total = strlen (text);

  if (total == 0 || total > 64)
    return false;
  while (*p)
    {
      size_t len = strcspn (p, ".");
      size_t i;

      if (len == 0 || len > 63 || p[0] == '-' || p[len - 1] == '-')
        return false;
      for (i = 0; i < len; i++)
        if (!(isalnum ((unsigned char) p[i]) || p[i] == '-'))
          return false;
      p += len;
      if (*p == '.')
        {
          p++;
          if (*p == '\0')
            return false;
        }
    }
  return true;
}

/* [a-z0-9]+ separated by '.', '_', '__' or '-'s: a path component of a reference. */
static bool
ref_component_valid (const char *s, size_t len)
{
  size_t i;

  if (len == 0 || !(islower ((unsigned char) s[0]) || isdigit ((unsigned char) s[0]))
      || !(islower ((unsigned char) s[len - 1]) || isdigit ((unsigned char) s[len - 1])))
    return false;
  for (i = 0; i < len; i++)
    if (!(islower ((unsigned char) s[i]) || isdigit ((unsigned char) s[i]) || strchr ("._-", s[i])))
      return false;
  return true;
}

bool
loom_image_ref_valid (const char *text, const char **why)
{
  loom_autofree char *ref = loom_xstrdup (text);
  char *at, *colon, *slash, *p, *comp;
  bool first = true;
  size_t i;

  *why = "an image name like alpine:3, frrouting/frr:v8.4.1 or registry.example:5000/web@sha256:"
         "<64 hex digits> (lowercase letters, digits and . _ - in the path; a tag of letters, "
         "digits, _ . -)";
  if (*ref == '\0' || strlen (ref) > 255)
    return false;
  if ((at = strchr (ref, '@')) != NULL)
    {
      char *hex = strchr (at + 1, ':');
      *at = '\0';
      if (hex == NULL || hex == at + 1 || strlen (hex + 1) < 32)
        return false;
      for (p = at + 1; p < hex; p++)
        if (!(islower ((unsigned char) *p) || isdigit ((unsigned char) *p) || strchr ("+._-", *p)))
          return false;
      for (p = hex + 1; *p; p++)
        if (!isxdigit ((unsigned char) *p))
          return false;
    }
  slash = strrchr (ref, '/');
  colon = strrchr (ref, ':');
  if (colon && (slash == NULL || colon > slash))
    {
      char *tag = colon + 1;
      *colon = '\0';
      if (*tag == '\0' || strlen (tag) > 128 || !(isalnum ((unsigned char) *tag) || *tag == '_'))
        return false;
      for (p = tag; *p; p++)
        if (!(isalnum ((unsigned char) *p) || strchr ("_.-", *p)))
          return false;
    }
  for (comp = ref; comp; first = false)
    {
      char *next = strchr (comp, '/');
      size_t len = next ? (size_t) (next - comp) : strlen (comp);

      /* A first component with a '.' or a ':' (or "localhost") is a registry host. */
      if (first && next
          && (memchr (comp, '.', len) || memchr (comp, ':', len)
              || (len == 9 && strncmp (comp, "localhost", 9) == 0)))
        {
          for (i = 0; i < len; i++)
            if (!(isalnum ((unsigned char) comp[i]) || strchr (".-:", comp[i])))
              return false;
          if (len == 0 || comp[0] == '.' || comp[0] == '-' || comp[0] == ':')
            return false;
        }
      else if (!ref_component_valid (comp, len))
        return false;
      comp = next ? next + 1 : NULL;
    }
  return true;
}

/* env files */

int
loom_envfile_line (const char *line, char **key, char **value, const char **why)
{
  const char *p = line, *eq, *v;
  size_t klen, vlen, i;

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0' || *p == '#' || *p == '\r')
    return 0;
  if (strncmp (p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
    for (p += 6; *p == ' ' || *p == '\t'; p++)
      ;
  eq = strchr (p, '=');
  *why = "KEY=VALUE (KEY: letters, digits and '_', not starting with a digit), optionally after "
         "'export '";
  if (eq == NULL || eq == p)
    return -1;
  klen = (size_t) (eq - p);
  if (!(isalpha ((unsigned char) p[0]) || p[0] == '_'))
    return -1;
  for (i = 1; i < klen; i++)
    if (!(isalnum ((unsigned char) p[i]) || p[i] == '_'))
      return -1;
  v = eq + 1;
  vlen = strlen (v);
  if (vlen && v[vlen - 1] == '\r')
    vlen--;
  if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0])
    {
      v++;
      vlen -= 2;
    }
  *key = loom_xstrndup (p, klen);
  *value = loom_xstrndup (v, vlen);
  return 1;
}
