unit_tests += tests/unit/test_parser
