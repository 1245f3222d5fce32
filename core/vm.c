/* VM nodes, the engine's and the CLI's side (see vm.h): the "vm" object of a VM node's
 * state, the checks before a deploy, and the requests the CLI sends to the "vms"
 * service of the lab supervisor (core/vmrun.c). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/state.h"
#include "core/supervisor.h"
#include "core/util.h"
#include "core/vm.h"
#include "core/vmimage.h"

/* ---- state and checks (engine side) ------------------------------------------------ */

char *
loom_vm_builtin_path (void)
{
  return loom_xasprintf ("%s/%s", loom_vm_builtin_dir (), LOOM_VM_TINY);
}

static bool
is_builtin (const struct loom_node *node)
{
  return (node->image == NULL && node->kernel == NULL)
         || (node->image && strcmp (node->image, LOOM_VM_TINY) == 0);
}

static void
format_mac (const uint8_t mac[6], char out[18])
{
  snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
            mac[5]);
}

json_t *
loom_vm_state (const struct loom_node_rt *rt)
{
  const struct loom_node *node = rt->node;
  json_t *vm = json_object (), *nics = json_array (), *routes = json_array ();
  uint64_t mem = node->memory        ? node->memory
                 : is_builtin (node) ? LOOM_VM_MEMORY_TINY
                                     : LOOM_VM_MEMORY_DEFAULT;
  size_t i, k;

  if (is_builtin (node))
    {
      loom_autofree char *dir = loom_vm_builtin_path ();
      json_object_set_new (vm, "builtin", json_string (LOOM_VM_TINY));
      json_object_set_new (vm, "image", json_null ());
      json_object_set_new (vm, "kernel", json_pack ("s+", dir, "/vmlinuz"));
      json_object_set_new (vm, "initrd", json_pack ("s+", dir, "/initrd.img"));
    }
  else
    {
      json_object_set_new (vm, "builtin", json_null ());
      json_object_set_new (vm, "image", node->image ? json_string (node->image) : json_null ());
      json_object_set_new (vm, "kernel", node->kernel ? json_string (node->kernel) : json_null ());
      json_object_set_new (vm, "initrd", node->initrd ? json_string (node->initrd) : json_null ());
    }
  json_object_set_new (vm, "append", node->append ? json_string (node->append) : json_null ());
  json_object_set_new (vm, "memory_mib", json_integer ((json_int_t) ((mem + (1 << 20) - 1) >> 20)));
  json_object_set_new (vm, "cpus", json_integer (node->cpus > 0 ? node->cpus : 1));
  json_object_set_new (vm, "accel", json_string (node->accel ? node->accel : "auto"));
  json_object_set_new (vm, "hostname", json_string (node->hostname ? node->hostname : node->name));
  for (i = 0; i < node->n_ifaces; i++)
    {
      const struct loom_iface *f = node->ifaces[i];
      json_t *addrs = json_array ();
      char mac[18];
      int mtu = f->mtu ? f->mtu : f->link && f->link->mtu ? f->link->mtu : 0;

      format_mac (rt->mac[i], mac);
      for (k = 0; k < f->n_addrs; k++)
        json_array_append_new (addrs, json_string (f->addrs[k].text));
      json_array_append_new (nics, json_pack ("{s:s, s:s, s:i, s:i, s:o}", "name", f->name, "mac",
                                              mac, "ifindex", f->link ? rt->ifindex[i] : 0, "mtu",
                                              mtu, "addresses", addrs));
    }
  json_object_set_new (vm, "nics", nics);
  for (i = 0; i < node->n_routes; i++)
    {
      const struct loom_route *r = &node->routes[i];
      if (!r->has_gateway)
        continue; /* the protocol has no device routes: the guest's links give those */
      json_array_append_new (routes, json_pack ("{s:s, s:s}", "dst",
                                                r->dst.prefixlen == 0 ? "default" : r->dst.text,
                                                "gateway", r->gateway.text));
    }
  json_object_set_new (vm, "routes", routes);
  return vm;
}

static bool
readable_file (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, R_OK) == 0;
}

size_t
loom_vm_check (const struct loom_lab *lab, struct loom_diags *diags)
{
  size_t i, n = 0;
  bool have_qemu = false;
  loom_autofree char *builtin = NULL;

  for (i = 0; i < lab->n_nodes; i++)
    {
      const struct loom_node *node = lab->nodes[i];

      if (node->kind != LOOM_KIND_VM)
        continue;
      if (!have_qemu)
        {
          /* Searched on $PATH as exec will. */
          const char *path = getenv ("PATH");
          loom_autofree char *copy = loom_xstrdup (path ? path : "/usr/bin:/bin");
          char *save = NULL, *dir;
          for (dir = strtok_r (copy, ":", &save); dir && !have_qemu;
               dir = strtok_r (NULL, ":", &save))
            {
              loom_autofree char *p = loom_xasprintf ("%s/%s", dir, LOOM_VM_QEMU);
              have_qemu = access (p, X_OK) == 0;
            }
          if (!have_qemu)
            {
              loom_diags_add (diags, LOOM_DIAG_ERROR, &node->kind_mark,
                              "node '%s': kind vm needs QEMU (%s), which is not installed "
                              "(apt-get install qemu-system-x86 qemu-utils)",
                              node->name, LOOM_VM_QEMU);
              return n + 1;
            }
        }
      if (is_builtin (node))
        {
          loom_autofree char *k = NULL, *r = NULL;
          if (builtin == NULL)
            builtin = loom_vm_builtin_path ();
          k = loom_xasprintf ("%s/vmlinuz", builtin);
          r = loom_xasprintf ("%s/initrd.img", builtin);
          if (!readable_file (k) || !readable_file (r))
            {
              loom_diags_add (diags, LOOM_DIAG_ERROR, &node->mark,
                              "node '%s': the built-in guest %s is not built (no %s): run "
                              "`make vm-image` in the netloom source tree",
                              node->name, LOOM_VM_TINY, builtin);
              n++;
            }
          continue;
        }
      if (node->image && !readable_file (node->image))
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->mark, "node '%s': disk image %s: %s",
                          node->name, node->image,
                          access (node->image, F_OK) == 0 ? "not a readable file" : "no such file");
          n++;
        }
      if (node->kernel && !readable_file (node->kernel))
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->mark, "node '%s': kernel %s: %s",
                          node->name, node->kernel,
                          access (node->kernel, F_OK) == 0 ? "not a readable file"
                                                           : "no such file");
          n++;
        }
      if (node->initrd && !readable_file (node->initrd))
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->mark, "node '%s': initrd %s: %s",
                          node->name, node->initrd,
                          access (node->initrd, F_OK) == 0 ? "not a readable file"
                                                           : "no such file");
          n++;
        }
      if (node->initrd && !node->kernel)
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->mark,
                          "node '%s': an initrd needs a kernel", node->name);
          n++;
        }
    }
  return n;
}

/* ---- client side (the CLI) -------------------------------------------------------- */

int
loom_lab_vm_control (const char *lab, const char *node, const char *action, loom_error_t *err)
{
  loom_autofree char *cmd = loom_xasprintf ("vm-%s", action);
  json_t *req = json_pack ("{s:s, s:s}", "cmd", cmd, "node", node);
  json_t *resp = loom_supervisor_call (lab, req, err);
  int r = 0;

  json_decref (req);
  if (resp == NULL)
    return -1;
  if (!json_is_true (json_object_get (resp, "ok")))
    r = loom_error_make (err, 0, "%s", json_string_value (json_object_get (resp, "error")));
  json_decref (resp);
  return r;
}

int
loom_vm_console_open (const char *lab, const char *node, loom_error_t *err)
{
  loom_autofree char *dir = loom_state_dir (lab);
  loom_autofree char *path = loom_xasprintf ("%s/vms/%s/console.sock", dir, node);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    return loom_error_make (err, ENAMETOOLONG, "%s", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return loom_error_make (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int e = errno;
      close (fd);
      return loom_error_make (err, e,
                              "node %s of lab '%s' has no console (is it a VM, and is the "
                              "lab's supervisor running?)",
                              node, lab);
    }
  return fd;
}
