lib_src += core/error.c core/util.c core/log.c core/fault.c core/netns.c core/nl.c \
           core/parallel.c core/journal.c core/spawn.c core/state.c core/node.c core/engine.c \
           core/bpf.c core/tc.c core/vlan.c core/capture.c core/bpfcap.c core/supervisor.c \
           core/frr.c core/runtime.c core/impairer.c core/vmimage.c core/container.c
lib_src += core/pcapng.c core/tap.c core/vm.c core/vmrun.c
lib_src += core/portproxy.c core/nat.c
lib_src += core/decode.c
lib_src += core/image.c
