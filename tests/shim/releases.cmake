# The shim's suites inside each Magnum release from PyPI, run by that
# release's own virtualenv: tests/support/magnum_releases/venvs.mk makes
# them (`make magnum-venvs`) and passes -DMAGNUM_VENV_<release>=<venv>.
# A release whose venv was not given is not registered.
#
#   tests.shim.test_driver[<release>]      Magnum's loader, conductor handlers
#                                          and periodic sync, fake bridge
#   tests.shim.test_end_to_end[<release>]  the same against the real bridge,
#                                          helm and the simulator
#   tests.shim.test_diff_command[<release>]  the installed
#                                          magnum-capi-bridge-diff command
#   tests.shim.test_eventlet[<release>]    monkey-patched as magnum-conductor
#                                          is, on the releases that still use
#                                          eventlet

set(MAGNUM_RELEASES 2024.1 2025.1 2026.1 2026.2)
# Releases whose magnum-conductor runs under eventlet (2026.2 runs threads).
set(MAGNUM_EVENTLET_RELEASES 2024.1 2025.1 2026.1)

foreach(release ${MAGNUM_RELEASES})
  string(REPLACE "." "_" venv_var "MAGNUM_VENV_${release}")
  if(NOT ${venv_var})
    continue()
  endif()
  set(python "${${venv_var}}/bin/python")
  set(suites test_driver test_end_to_end test_diff_command)
  if(release IN_LIST MAGNUM_EVENTLET_RELEASES)
    list(APPEND suites test_eventlet)
  endif()
  foreach(suite ${suites})
    set(name "tests.shim.${suite}[${release}]")
    add_test(NAME ${name}
      COMMAND ${python} -m unittest -v tests.shim.${suite}
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES TIMEOUT 600 ENVIRONMENT
      "CAPI_BRIDGE_BUILD_DIR=${CMAKE_BINARY_DIR};CAPI_BRIDGE_HELM=${HELM_BINARY};PYTHONDONTWRITEBYTECODE=1")
  endforeach()
endforeach()
