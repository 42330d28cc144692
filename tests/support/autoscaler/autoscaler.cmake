# What the bridge sets up for each cluster's cluster-autoscaler (its
# template-reading Role and RoleBinding, the capacity annotations), against
# the real kube-apiserver with the bridge's own chart RBAC: registered
# beside the other real-API suites when their tools are there
# (tests/integration/real_api.cmake defines add_real_api_suite).
#
# The scenario with the real cluster-autoscaler itself is not registered:
# its Go module is not available to this project's builds (see
# docs/autoscaling.md, "How it is tested").
if(COMMAND add_real_api_suite)
  add_real_api_suite(tests.support.autoscaler.test_bridge_setup v1beta1)
  add_real_api_suite(tests.support.autoscaler.test_bridge_setup v1beta2)
endif()
