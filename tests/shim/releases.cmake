# The shim's suites inside each Magnum release from PyPI, run by that
# release's own virtualenv: tests/support/magnum_releases/venvs.mk makes
# them (`make magnum-venvs`) and passes -DMAGNUM_VENV_<release>=<venv>.
# A release whose venv was not given is not registered.
#
# On every release:
#   tests.shim.test_driver[<release>]      Magnum's loader, conductor handlers
#                                          and periodic sync, fake bridge
#   tests.shim.test_end_to_end[<release>]  the same against the real bridge,
#                                          helm and the simulator
#   tests.shim.test_diff_command[<release>]  the installed
#                                          magnum-capi-bridge-diff command
#   tests.shim.test_status_gap[<release>]  status syncs between Magnum's and
#                                          the driver's marking of a verb
#   tests.shim.test_ca_rotation[<release>] Magnum's CA handler, refused
#   tests.shim.test_clean_up[<release>]    overlapping periodic jobs after
#                                          delete (green or OS threads)
#   tests.shim.test_openstack[<release>]   the adapter with the client
#                                          libraries the release installs
#   tests.shim.test_tls[<release>]         mutual TLS with the release's grpcio
#   tests.shim.test_install[<release>]     the wheel pip-installed into the
#                                          release's venv, Magnum's lookup
# On the releases that still use eventlet:
#   tests.shim.test_eventlet[<release>]    monkey-patched as magnum-conductor
#                                          is
# On the newest release, the one whose conductor runs OS threads (the
# longest suite, 50 clusters; Debian's 15.0.1 runs it under eventlet, and
# test_eventlet covers the hub of every eventlet release):
#   tests.shim.test_conductor[<release>]   the release's own concurrency
#                                          model under load
# test_kolla_role stays Debian-only: it runs an Ansible role, no Magnum code.

set(MAGNUM_RELEASES 2024.1 2025.1 2026.1 2026.2)
# Releases whose magnum-conductor runs under eventlet (2026.2 runs threads).
set(MAGNUM_EVENTLET_RELEASES 2024.1 2025.1 2026.1)
set(MAGNUM_CONDUCTOR_RELEASES 2026.2)

foreach(release ${MAGNUM_RELEASES})
  string(REPLACE "." "_" venv_var "MAGNUM_VENV_${release}")
  if(NOT ${venv_var})
    continue()
  endif()
  set(python "${${venv_var}}/bin/python")
  set(suites test_driver test_end_to_end test_diff_command test_status_gap
             test_ca_rotation test_clean_up test_openstack test_tls
             test_install)
  if(release IN_LIST MAGNUM_EVENTLET_RELEASES)
    list(APPEND suites test_eventlet)
  endif()
  if(release IN_LIST MAGNUM_CONDUCTOR_RELEASES)
    list(APPEND suites test_conductor)
  endif()
  foreach(suite ${suites})
    set(name "tests.shim.${suite}[${release}]")
    add_test(NAME ${name}
      COMMAND ${python} -m unittest -v tests.shim.${suite}
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES TIMEOUT 900 ENVIRONMENT
      "CAPI_BRIDGE_BUILD_DIR=${CMAKE_BINARY_DIR};CAPI_BRIDGE_HELM=${HELM_BINARY};PYTHONDONTWRITEBYTECODE=1")
    if(suite STREQUAL "test_conductor")
      # Long: started early, beside the others (as Debian's).
      set_tests_properties(${name} PROPERTIES COST 9000)
    endif()
  endforeach()
endforeach()
