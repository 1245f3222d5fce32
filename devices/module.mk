lib_src += devices/registry.c devices/host.c devices/router.c devices/switch.c devices/vm.c \
           devices/nat.c devices/container.c
