netns_tests += tests/netns/test_deploy
