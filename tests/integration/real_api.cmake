# The management-cluster suites again against a real kube-apiserver (etcd
# and kube-apiserver on loopback, CAPI's status played by the test:
# tests/support/kube_real/), with Cluster API v1.10's CRDs (v1beta1) and
# v1.13's (v1beta2 stored, converted by CAPI's own managers). The tools come from the Makefile's fragment
# tests/support/kube_real/tools.mk (make kube-tools), which passes their
# paths; without them these runs are not registered. The simulator's runs
# (tests/CMakeLists.txt) keep what only it can do: fault injection, request
# counting (see docs/testing.md, "Which suite runs where").
if(KUBE_APISERVER AND ETCD_BINARY AND KUBE_CRDS_V1BETA1 AND KUBE_CRDS_V1BETA2
   AND CAPI_MANAGERS_DIR)
  set(KUBE_REAL_ENVIRONMENT
    "CAPI_BRIDGE_BUILD_DIR=${CMAKE_BINARY_DIR}"
    "CAPI_BRIDGE_HELM=${HELM_BINARY}"
    "PYTHONDONTWRITEBYTECODE=1"
    "CAPI_BRIDGE_KUBE_APISERVER=${KUBE_APISERVER}"
    "CAPI_BRIDGE_ETCD=${ETCD_BINARY}"
    "CAPI_BRIDGE_KUBE_CRDS_V1BETA1=${KUBE_CRDS_V1BETA1}"
    "CAPI_BRIDGE_KUBE_CRDS_V1BETA2=${KUBE_CRDS_V1BETA2}"
    "CAPI_BRIDGE_CAPI_MANAGERS=${CAPI_MANAGERS_DIR}")

  # The fixture itself: CRDs, the bridge's RBAC identity, CAPI's conversion.
  add_test(NAME tests.support.kube_real.test_kube_real
    COMMAND ${SYSTEM_PYTHON} -m unittest -v tests.support.kube_real.test_kube_real
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(tests.support.kube_real.test_kube_real PROPERTIES
    TIMEOUT 300 ENVIRONMENT "${KUBE_REAL_ENVIRONMENT}")

  # One suite against one CAPI generation: <suite>[real-<generation>].
  function(add_real_api_suite py generation)
    add_test(NAME ${py}[real-${generation}]
      COMMAND ${SYSTEM_PYTHON} -m unittest -v ${py}
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${py}[real-${generation}] PROPERTIES TIMEOUT 900
      ENVIRONMENT "${KUBE_REAL_ENVIRONMENT};CAPI_BRIDGE_KUBE=real-${generation}")
  endfunction()

  foreach(py tests.integration.test_lifecycle
             tests.integration.test_status
             tests.integration.test_replicas
             tests.integration.test_recovery
             tests.integration.test_migration
             # Magnum's handlers and periodic sync (Debian's Magnum) -> the
             # shim -> the bridge -> helm -> the real API server.
             tests.shim.test_end_to_end)
    add_real_api_suite(${py} v1beta1)
  endforeach()

  # CAPI v1.13: the chart's v1beta1 objects stored as v1beta2 through CAPI's
  # conversion webhooks, CAPI's status played as v1.13's controllers write
  # it (v1beta2 conditions, the old ones under status.deprecated.v1beta1),
  # read by the bridge in v1beta2. The lifecycle and status suites;
  # test_replicas, test_recovery and test_migration pass there too
  # (CAPI_BRIDGE_KUBE=real-v1beta2) but are left to the v1beta1 runs to
  # keep make test's time down.
  add_real_api_suite(tests.integration.test_lifecycle v1beta2)
  add_real_api_suite(tests.integration.test_status v1beta2)

  # CAPI v1.10 -> v1.13 under a running bridge: a cluster created on
  # v1beta1 CRDs, the CRDs upgraded, the objects' storage migrated to
  # v1beta2; reported the same without and after a restart, then resized.
  add_test(NAME tests.integration.test_capi_upgrade[real-v1beta1-to-v1beta2]
    COMMAND ${SYSTEM_PYTHON} -m unittest -v tests.integration.test_capi_upgrade
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(tests.integration.test_capi_upgrade[real-v1beta1-to-v1beta2]
    PROPERTIES TIMEOUT 600
    ENVIRONMENT "${KUBE_REAL_ENVIRONMENT};CAPI_BRIDGE_KUBE=real-v1beta1")
else()
  message(STATUS "real kube-apiserver suites: not registered (make test "
                 "passes their tools' paths; see tests/support/kube_real/tools.mk)")
endif()
