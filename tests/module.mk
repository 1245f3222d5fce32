# Test programs. Each test is one C file built against libnetloom and Check; the
# fragments below list them (paths without .c). tests/run.sh runs them all plus the
# shell end-to-end tests in tests/e2e/ and prints the summary line.
include tests/unit/module.mk
include tests/netns/module.mk
include tests/tools/module.mk

CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
test_bins  := $(addprefix $(BUILD)/,$(unit_tests) $(netns_tests) $(test_tools))

.PHONY: test-bins
test-bins: $(test_bins) $(NETLOOM)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) $(CHECK_LIBS)

-include $(addsuffix .d,$(test_bins))
