# netloom-tiny, the built-in VM guest: `make vm-image` builds build/vm/netloom-tiny/
# (vmlinuz, initrd.img, manifest.json) from the Debian cloud kernel and the host's
# busybox-static; see devices/vm-tiny/build.sh. The kernel packages are downloaded once
# into build/vm/debs; afterwards the image is rebuilt only when a source here changes.
VM_DIR       := $(BUILD)/vm
VM_TINY      := $(VM_DIR)/netloom-tiny
VM_TINY_SRC  := devices/vm-tiny/build.sh devices/vm-tiny/init \
                devices/vm-tiny/default.script devices/vm-tiny/module.mk
VM_BUSYBOX   ?= /bin/busybox

.PHONY: vm-image
vm-image: $(VM_TINY)/manifest.json

# manifest.json is written last, after vmlinuz and initrd.img are in place.
$(VM_TINY)/manifest.json: $(VM_TINY_SRC) $(wildcard $(VM_BUSYBOX))
	@$(if $(Q),echo "  VM      $(VM_TINY)")
	$(Q)BUSYBOX=$(VM_BUSYBOX) sh devices/vm-tiny/build.sh $(VM_DIR)

# Test programs that boot the guest (listed in vm_tests by tests/*/module.mk, which are
# included before this fragment) get the image built with them.
$(addprefix $(BUILD)/,$(vm_tests)): | $(VM_TINY)/manifest.json
