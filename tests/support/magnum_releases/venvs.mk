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

# $(call release_venv,RELEASE,NAME): the directory of venv NAME, pinned by
# RELEASE's constraints, with requirements/NAME.txt installed. A release's
# own venv is NAME = RELEASE; other suites may add named venvs beside it
# (say, a release's Magnum plus Keystone) with $(call release_venv_rule,...).
release_venv = $(CACHE_ROOT)/venvs/$(2)-$(shell cat \
  $(MAGNUM_RELEASES_DIR)/constraints/$(1).txt \
  $(MAGNUM_RELEASES_DIR)/requirements/$(2).txt | sha256sum | cut -c1-16)

# $(call magnum_venv,RELEASE): the release's own venv directory.
magnum_venv = $(call release_venv,$(1),$(1))

MAGNUM_VENV_STAMPS := $(foreach r,$(MAGNUM_RELEASES),$(call magnum_venv,$(r))/.installed)

.PHONY: magnum-venvs
magnum-venvs: $(MAGNUM_VENV_STAMPS)

# $(eval $(call release_venv_rule,RELEASE,NAME)): the rule making venv
# NAME's stamp with make_venv.sh (no prerequisites: the directory's hash
# already stands for its inputs).
define release_venv_rule
$(call release_venv,$(1),$(2))/.installed:
	@bash $(MAGNUM_RELEASES_DIR)/make_venv.sh $(call release_venv,$(1),$(2)) \
	  $(MAGNUM_RELEASES_DIR)/constraints/$(1).txt \
	  $(MAGNUM_RELEASES_DIR)/requirements/$(2).txt
endef
$(foreach r,$(MAGNUM_RELEASES),$(eval $(call release_venv_rule,$(r),$(r))))

TEST_PREREQS += magnum-venvs
CMAKE_EXTRA_ARGS += $(foreach r,$(MAGNUM_RELEASES),\
  -DMAGNUM_VENV_$(subst .,_,$(r))=$(call magnum_venv,$(r)))
