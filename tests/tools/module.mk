# Small programs the end-to-end tests run (tools, not tests: tests/run.sh runs only
# test_* programs). Built with the tests, by `make test-bins`.
test_tools += tests/tools/l2send
