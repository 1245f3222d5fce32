/* The directory of netloom's built-in VM images (see core/vmimage.h): the environment,
 * the build tree next to the binary, or the installed location. */
#include "core/vmimage.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

static pthread_once_t vm_dir_once = PTHREAD_ONCE_INIT;
static const char *vm_dir;

static void
vm_dir_find (void)
{
  const char *env = getenv ("NETLOOM_VM_DIR");
  const char *exe = getenv ("NETLOOM_EXE");
  char self[PATH_MAX];
  struct stat st;

  if (env && *env)
    {
      vm_dir = loom_xstrdup (env);
      return;
    }
  if (exe == NULL || *exe == '\0')
    {
      ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
      if (n > 0)
        {
          self[n] = '\0';
          exe = self;
        }
      else
        exe = NULL;
    }
  if (exe && strrchr (exe, '/'))
    {
      const char *slash = strrchr (exe, '/');
      char *dir = loom_xasprintf ("%.*s/vm", (int) (slash - exe), exe);
      if (stat (dir, &st) == 0 && S_ISDIR (st.st_mode))
        {
          vm_dir = dir;
          return;
        }
      free (dir);
    }
  vm_dir = LOOM_VM_DIR_INSTALLED;
}

const char *
loom_vm_builtin_dir (void)
{
  pthread_once (&vm_dir_once, vm_dir_find);
  return vm_dir;
}
