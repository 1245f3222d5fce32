netns_tests += tests/netns/test_deploy
netns_tests += tests/netns/test_capture
netns_tests += tests/netns/test_routing
netns_tests += tests/netns/test_impair
netns_tests += tests/netns/test_container
netns_tests += tests/netns/test_nat
netns_tests += tests/netns/test_vmimage
# Boot the built-in guest: built by `make vm-image` first (devices/vm-tiny/module.mk).
vm_tests += tests/netns/test_vmimage
