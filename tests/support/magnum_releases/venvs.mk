# One virtualenv per Magnum release from PyPI, for the shim's suites
# (tests/shim/releases.cmake registers them). Included by the top-level
# Makefile, which defines CACHE_ROOT, TEST_PREREQS and CMAKE_EXTRA_ARGS.
#
# A release's venv is $(CACHE_ROOT)/venvs/<release>-<hash>, the hash taken
# over its constraints (the release's upper-constraints.txt from
# openstack/requirements, committed under constraints/) and its requirement
# list (requirements/<release>.txt): change either and a new venv is made;
# otherwise `make magnum-venvs` installs nothing.

MAGNUM_RELEASES_DIR := tests/support/magnum_releases
MAGNUM_RELEASES := 2024.1 2025.1 2026.1 2026.2

# $(call magnum_venv,RELEASE): the release's venv directory.
magnum_venv = $(CACHE_ROOT)/venvs/$(1)-$(shell cat \
  $(MAGNUM_RELEASES_DIR)/constraints/$(1).txt \
  $(MAGNUM_RELEASES_DIR)/requirements/$(1).txt | sha256sum | cut -c1-16)

MAGNUM_VENV_STAMPS := $(foreach r,$(MAGNUM_RELEASES),$(call magnum_venv,$(r))/.installed)

.PHONY: magnum-venvs
magnum-venvs: $(MAGNUM_VENV_STAMPS)

# The stamp of each release's venv, made by make_venv.sh (no prerequisites:
# the directory's hash already stands for its inputs).
define magnum_venv_rule
$(call magnum_venv,$(1))/.installed:
	@bash $(MAGNUM_RELEASES_DIR)/make_venv.sh $(call magnum_venv,$(1)) \
	  $(MAGNUM_RELEASES_DIR)/constraints/$(1).txt \
	  $(MAGNUM_RELEASES_DIR)/requirements/$(1).txt
endef
$(foreach r,$(MAGNUM_RELEASES),$(eval $(call magnum_venv_rule,$(r))))

TEST_PREREQS += magnum-venvs
CMAKE_EXTRA_ARGS += $(foreach r,$(MAGNUM_RELEASES),\
  -DMAGNUM_VENV_$(subst .,_,$(r))=$(call magnum_venv,$(r)))
