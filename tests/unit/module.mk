unit_tests += tests/unit/test_parser
unit_tests += tests/unit/test_pcapng
unit_tests += tests/unit/test_decode
unit_tests += tests/unit/test_frr
unit_tests += tests/unit/test_image
