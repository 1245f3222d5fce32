netns_tests += tests/netns/test_deploy
netns_tests += tests/netns/test_capture
netns_tests += tests/netns/test_routing
netns_tests += tests/netns/test_impair
netns_tests += tests/netns/test_nat
