# netloom — one non-recursive Makefile. Each folder adds a fragment (module.mk) that
# appends to the variables below; nothing here recurses into sub-makes.
#
#   make run      install what is needed, build, deploy labs/quickstart.yaml
#   make test     install what is needed, build, run the whole suite
#   make bench    deploy/destroy benchmarks (writes docs/benchmarks.md)
#   make vm-image the built-in VM guest netloom-tiny (build/vm/netloom-tiny/)

CC       ?= cc
PKGS     := yaml-0.1 jansson libnl-3.0 libnl-route-3.0 libpcap libarchive slirp
WARN     := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wno-unused-parameter -Wshadow
ifeq ($(CI),true)
WARN     += -Werror
endif
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -I. \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread
BUILD    := build

ifneq ($(V),1)
Q := @
endif

# Debian packages the build, the tests and `make run` need.
DEB_PKGS := build-essential pkg-config libyaml-dev libjansson-dev libnl-3-dev \
            libnl-route-3-dev libpcap-dev check iperf3 iproute2 iputils-ping busybox-static tshark jq \
            tcpdump procps psmisc frr libarchive-dev libslirp-dev libglib2.0-dev qemu-system-x86 qemu-utils
# attr (getfattr/setfattr): the image tests check the xattrs kept in unpacked layers.
DEB_PKGS += attr
DEB_BENCH_PKGS := mininet bridge-utils time
DEB_FUZZ_PKGS := clang libclang-rt-dev
DEB_STAMP := $(BUILD)/.deps-installed

LIB     := $(BUILD)/libnetloom.a
NETLOOM := $(BUILD)/netloom

lib_src   :=
cli_src   :=
unit_tests :=
netns_tests :=
vm_tests   :=

include topology/module.mk
include core/module.mk
include devices/module.mk
include core/cli/module.mk
include tests/module.mk
include devices/vm-tiny/module.mk

lib_obj := $(lib_src:%.c=$(BUILD)/%.o)
cli_obj := $(cli_src:%.c=$(BUILD)/%.o)

.PHONY: all deps run test bench fuzz clean format check-deps
all: $(NETLOOM)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(lib_obj)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(NETLOOM): $(cli_obj) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(cli_obj) $(LIB) $(LDLIBS)

# Idempotent: only asks apt when a package is missing.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

bench-deps:
	@missing=""; for p in $(DEB_BENCH_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh labs/run-quickstart.sh $(NETLOOM)

test: deps
	$(Q)$(MAKE) --no-print-directory all test-bins vm-image
	$(Q)sh tests/run.sh

bench: deps bench-deps
	$(Q)$(MAKE) --no-print-directory all vm-image
	$(Q)sh tests/bench/run.sh $(NETLOOM)

# libFuzzer + ASan/UBSan on the packet decoder; FUZZ_SECONDS=600 make fuzz for longer.
fuzz:
	@missing=""; for p in $(DEB_FUZZ_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	$(Q)sh tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(lib_obj:.o=.d) $(cli_obj:.o=.d)
