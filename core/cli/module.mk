# The `netloom` command: main.c dispatches, common.c holds what the commands share,
# one cmd-<name>.c per command (list it in main.c's table too).
cli_src += core/cli/main.c core/cli/common.c
cli_src += core/cli/cmd-deploy.c core/cli/cmd-destroy.c core/cli/cmd-inspect.c
cli_src += core/cli/cmd-list.c core/cli/cmd-exec.c core/cli/cmd-shell.c
cli_src += core/cli/cmd-validate.c core/cli/cmd-version.c core/cli/cmd-help.c
cli_src += core/cli/cmd-capture.c core/cli/cmd-pcap.c core/cli/cmd-supervisor.c
cli_src += core/cli/cmd-link.c core/cli/cmd-node.c core/cli/cmd-console.c
cli_src += core/cli/cmd-image.c core/cli/cmd-logs.c
