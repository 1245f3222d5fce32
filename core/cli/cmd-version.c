/* `netloom version` (and `netloom --version`): our version and the versions of the
 * libraries actually loaded, which is what a bug report needs. */
#include <netlink/version.h>
#include <yaml.h>

#include "core/cli/cli.h"

static int
version_exec (struct loom_args *args)
{
  (void) args;
  printf ("netloom %s\n", LOOM_VERSION);
  if (loom_cli_verbosity >= 0)
    printf ("libyaml %s, jansson %s, libnl %d.%d.%d\n", yaml_get_version_string (),
            jansson_version_str (), nl_ver_maj, nl_ver_min, nl_ver_mic);
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_version = {
  .name = "version",
  .alias = NULL,
  .usage = "",
  .summary = "Print the version of netloom and of its libraries",
  .help = NULL,
  .example = "  netloom version\n",
  .opts = NULL,
  .min_args = 0,
  .max_args = 0,
  .flags = 0,
  .exec = version_exec,
};
