# The operator's path through magnum-api (tests/operator/test_operator.py),
# run by the operator venv's interpreter: tests/operator/operator.mk makes
# it (`make operator-env`, with Debian's rabbitmq-server) and passes
# -DOPERATOR_VENV=<venv>. Not registered without it. The client libraries'
# deprecation warnings (eventlet, openstacksdk) are silenced: printed at
# every call, they bury the test's own output.

if(OPERATOR_VENV)
  add_test(NAME tests.operator.test_operator
    COMMAND ${OPERATOR_VENV}/bin/python -W ignore -m unittest -v tests.operator.test_operator
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(tests.operator.test_operator PROPERTIES
    TIMEOUT 1500 COST 10000 ENVIRONMENT
    "CAPI_BRIDGE_BUILD_DIR=${CMAKE_BINARY_DIR};CAPI_BRIDGE_HELM=${HELM_BINARY};PYTHONDONTWRITEBYTECODE=1")
endif()
