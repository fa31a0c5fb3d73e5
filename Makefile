# mailsec.mta_sts: build and test harness. `make test` is the test command (CI runs .ci/run,
# which runs exactly that). Everything needed is installed by the targets themselves, on a
# fresh Debian 12 machine as root; every target is safe to run again.
#
#   make venv            system packages (only if missing), .venv with pinned tools, .collections link,
#                        community.crypto (the role's ACME support) in .collections; apt and pip at once
#   make unit            pytest tests/unit, in UNIT_WORKERS (2) pytest-xdist workers
#   make integration     pytest tests/integration in INTEGRATION_WORKERS (2) workers, each with a lab of its own
#                        on MAILSEC_LAB_NET + worker index and a private copy of this machine's nginx
#                        (tests/lab/pytest_lab.py) (part of `make test` once it holds test_*.py files)
#   make molecule        the role scenarios in extensions/molecule/ against this machine, with a private copy
#                        of its nginx (tests/lab/private_nginx.py), on lab net MOLECULE_LAB_NET
#   make trixie          Debian 13: the molecule scenario trixie (the roles in a debootstrap trixie host) and
#                        make demo + demo-stop inside that host on a clean clone (tests/lab/trixie.py), on lab
#                        net TRIXIE_LAB_NET; SKIPPED with the reason when the root cannot be built here
#   make sanity          ansible-test sanity on a copy of the tracked tree
#   make lint            ansible-lint (production profile, see .ansible-lint)
#   make changelog-lint  antsibull-changelog lint
#   make release-check   build the tarball, galaxy-importer on it, install it into an empty collections
#                        path, ansible-doc of every plugin and role, --syntax-check of every playbook by FQCN,
#                        install from git, ansible-lint in a plain clone (tests/release/release_check.py)
#   make docs            the HTML documentation (antsibull-docs + Sphinx, no warning allowed) in .docs/html
#   make test            all of the above, in lanes side by side (TEST_LANES); each step's output in
#                        .test-logs/STEP.log, a table of the steps' times and CPU seconds at the end, and the tail of each
#                        failed step's log; fails if any step fails. No step changes this machine's nginx.
#                        A step that could not run here (trixie without Debian's archive) says SKIPPED and why;
#                        the end lists every skipped part with its reason.
#   make check           the edit loop: unit + sanity + lint side by side (about 3 min warm)
#   make demo / demo-stop  the local lab end to end (see tests/playbooks/lab.yml, tests/lab/);
#                        `make demo LAB_ACME=1` gets the certificates from the lab's Pebble ACME server
#   make constraints     re-resolve requirements-dev.txt and rewrite constraints.txt (the lock)
#   make clean           remove everything the targets above created

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := test
MAKEFLAGS += --no-print-directory

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COLLECTIONS := $(CURDIR)/.collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/mailsec/mta_sts
# community.crypto, which the role's ACME support uses (galaxy.yml dependencies). Galaxy is not
# reachable from here, so it comes from the `ansible` package on PyPI, which bundles it: pip
# downloads that wheel (no dependencies) and only ansible_collections/community/crypto/ is
# extracted into .collections. Measured: download + extraction ~1 s and 2.4 MB on disk, against
# ~16 s and 438 MB (34,500 files of collections nothing here uses) for `pip install ansible`
# into the venv. The pin is the wheel's version; the check below asserts the collection's own.
ANSIBLE_BUNDLE_VERSION := 14.5.0
COMMUNITY_CRYPTO_VERSION := 3.5.0
COMMUNITY_CRYPTO := $(COLLECTIONS)/ansible_collections/community/crypto
COMMUNITY_CRYPTO_STAMP := $(COLLECTIONS)/.community.crypto-$(COMMUNITY_CRYPTO_VERSION)
# community.general: a TEST dependency only (not in galaxy.yml): the role's DNS tasks hook
# (mta_sts_dns_method: tasks) is tested with a task file publishing through its nsupdate module.
# Same wheel, same way (~10.8 MB extracted).
COMMUNITY_GENERAL_VERSION := 13.5.0
COMMUNITY_GENERAL_STAMP := $(COLLECTIONS)/.community.general-$(COMMUNITY_GENERAL_VERSION)
SANITY_TOP := $(CURDIR)/.sanity
SANITY_ROOT := $(SANITY_TOP)/ansible_collections/mailsec/mta_sts
# galaxy-importer in a venv of its own (tests/release/importer-requirements.txt pins it and all it
# pulls in): its ansible-core/ansible-lint ranges must not move the tools of .venv.
IMPORTER_VENV := $(CURDIR)/.venv-importer
IMPORTER_STAMP := $(IMPORTER_VENV)/.installed

# The working tree is the collection mailsec.mta_sts for every ansible tool started from here.
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
# molecule and ansible-lint start ansible-config, ansible-galaxy etc. by name.
ORIG_PATH := $(PATH)
export PATH := $(VENV)/bin:$(PATH):/usr/sbin:/sbin
export DEBIAN_FRONTEND := noninteractive

# Controller Python: the newest >= 3.12. pyenv's own interpreters first (its `python3.12` shim on
# PATH is broken here, so they are called by full path), then whatever python3.1x is on PATH.
# Candidates that fail to run or are too old are skipped.
ifeq ($(strip $(PYENV_ROOT)),)
PYENV_ROOT := $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
endif
PYTHON_CANDIDATES = $(wildcard $(PYENV_ROOT)/versions/3.*/bin/python3) \
	$$(PATH='$(ORIG_PATH)' command -v python3.14 python3.13 python3.12)
# Shell snippet printing the chosen interpreter's path, or failing with a clear message.
FIND_PYTHON = for p in $(PYTHON_CANDIDATES); do \
	  v=$$("$$p" -c 'import sys; assert sys.version_info >= (3, 12); print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) \
	    && echo "$$v $$p" || true; \
	done | sort -V | tail -n 1 | cut -d' ' -f2 | grep . \
	|| { echo "error: no Python >= 3.12 found (looked in $(PYENV_ROOT)/versions/ and for python3.14/3.13/3.12 on PATH); ansible-core 2.21 needs one" >&2; exit 1; }

# Module pythons for ansible-test's multi-version sanity tests (compile, import): every pyenv
# interpreter >= 3.9 (tests/config.yml), exposed as pythonX.Y in .sanity/bin.
SANITY_PYTHON_CANDIDATES = $(wildcard $(PYENV_ROOT)/versions/3.*/bin/python3)

# Integration tests join `make test` only once there are some: pytest exits 5 on an empty
# collection, and `make integration` run by hand on an empty tests/integration fails for that.
INTEGRATION_TESTS := $(wildcard tests/integration/test_*.py tests/integration/*/test_*.py)
TEST_STEPS := $(strip unit $(if $(INTEGRATION_TESTS),integration) molecule trixie sanity lint changelog-lint release-check docs)

.PHONY: test test-setup check venv venv-parts system-packages print-system-packages unit integration molecule trixie sanity lint changelog-lint \
	release-check docs demo demo-stop constraints clean

# pytest-xdist workers. Integration: one lab per worker (MAILSEC_LAB_NET, MAILSEC_LAB_NET + 1, ...).
UNIT_WORKERS ?= 2
INTEGRATION_WORKERS ?= 2
# The lanes of `make test`, side by side; the steps of one lane (comma-separated) run one after another.
# No step uses this machine's nginx (integration workers and molecule each have a private copy of it) and
# each lab has a net of its own (integration: MAILSEC_LAB_NET + worker index; molecule: MOLECULE_LAB_NET;
# trixie: TRIXIE_LAB_NET), so the lanes only share the CPUs. trixie leads a lane: much of it waits on Debian's
# archive and PyPI (a cold root, the demo's venv); unit and sanity follow it there, so that the lane of molecule
# (about 620 s) does not end after the integration tests (measured on 235721c: molecule and the five steps after
# it took 932 s in one lane, trixie 355 s alone). See the README's "How it is tested".
TEST_LANES ?= integration trixie,unit,sanity molecule,lint,changelog-lint,release-check,docs
TEST_LOGS := $(CURDIR)/.test-logs
MOLECULE_LAB_NET ?= $(shell echo $$(( $${MAILSEC_LAB_NET:-0} + $(INTEGRATION_WORKERS) )))
# Not the demo's /tmp/mailsec-lab: a demo left running must not meet the scenarios' lab.
MOLECULE_LAB_DIR ?= /tmp/mailsec-lab-molecule
# The trixie step (the Debian 13 host and the lab its scenario uses, then the demo inside it): the next net.
TRIXIE_LAB_NET ?= $(shell echo $$(( $${MAILSEC_LAB_NET:-0} + $(INTEGRATION_WORKERS) + 1 )))
TRIXIE_LAB_DIR ?= /tmp/mailsec-lab-trixie-$(TRIXIE_LAB_NET)

# Every step runs even after one fails (so one run shows all problems); the target fails if any did.
# Each step's output goes to its log; the console gets each step's start and end, pytest's closing
# summary lines, a table of the steps' times and the tail of every failed step's log.
test:
	@started=$$(date +%s)
	$(MAKE) -j4 --output-sync=target test-setup
	rm -rf "$(TEST_LOGS)"
	mkdir -p "$(TEST_LOGS)"
	steps=" $(TEST_STEPS) "
	# The machine's busy CPU seconds so far (every core, from /proc/stat's jiffies): the end minus the start,
	# against the cores' seconds, says whether the lanes kept the CPUs busy or waited.
	busy_seconds() { awk -v hz="$$(getconf CLK_TCK)" '$$1 == "cpu" { print int(($$2 + $$3 + $$4 + $$7 + $$8 + $$9) / hz) }' /proc/stat; }
	# User + system seconds of a step's processes: the second line of bash's `times` (its children).
	cpu_seconds() { sed -n 2p "$$1" | awk '{ t = 0; for (i = 1; i <= NF; i++) { split($$i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%d", t }'; }
	busy_start=$$(busy_seconds)
	lane() {
	  local step begin rc
	  for step in $${1//,/ }; do
	    [[ "$$steps" == *" $$step "* ]] || continue
	    echo "==> $$step: started $$(date -u +%T), log $(TEST_LOGS)/$$step.log"
	    begin=$$(date +%s)
	    rc=0
	    # In a subshell of its own, so that `times` there gives the CPU seconds of this step's processes only.
	    ( rc=0; $(MAKE) "$$step" > "$(TEST_LOGS)/$$step.log" 2>&1 || rc=$$?; times > "$(TEST_LOGS)/$$step.times"; exit $$rc ) || rc=$$?
	    echo "$$step $$rc $$(( $$(date +%s) - begin )) $$(cpu_seconds "$(TEST_LOGS)/$$step.times")" >> "$(TEST_LOGS)/steps"
	    echo "==> $$step: $$([ "$$rc" = 0 ] && echo passed || echo "FAILED (exit $$rc)") in $$(( $$(date +%s) - begin )) s"
	  done
	}
	for l in $(TEST_LANES); do lane "$$l" & done
	wait
	for step in $(TEST_STEPS); do
	  grep -q "^$$step " "$(TEST_LOGS)/steps" || echo "$$step 127 0 0" >> "$(TEST_LOGS)/steps"
	done
	echo
	grep -hE '^=+ .*\b(passed|failed|error|errors)\b.* in [0-9.]+s' $(foreach s,$(TEST_STEPS),"$(TEST_LOGS)/$(s).log") 2>/dev/null \
	  | sed 's/^/pytest: /' || true
	failed=
	echo
	printf '%-16s %-8s %8s %12s\n' step result seconds 'CPU seconds'
	for step in $(TEST_STEPS); do
	  read -r dummy rc seconds cpu < <(grep "^$$step " "$(TEST_LOGS)/steps")
	  # passed*: the step passed, but some part of it did not run here (its SKIPPED lines are listed below; for
	  # trixie without Debian's archive that is all of it, for molecule without pyenv the Python 3.9 part).
	  if [ "$$rc" = 0 ] && grep -q '^==> [^ ]*: SKIPPED: ' "$(TEST_LOGS)/$$step.log" 2>/dev/null; then result='passed*'
	  elif [ "$$rc" = 0 ]; then result=passed; elif [ "$$rc" = 127 ] && [ "$$seconds" = 0 ]; then result='not run'; else result=FAILED; fi
	  [ "$$result" = passed ] || [ "$$result" = 'passed*' ] || failed="$$failed $$step"
	  printf '%-16s %-8s %8s %12s\n' "$$step" "$$result" "$$seconds" "$$cpu"
	done
	elapsed=$$(( $$(date +%s) - started ))
	printf '%-16s %-8s %8s %12s\n' 'make test' '' "$$elapsed" "$$(( $$(busy_seconds) - busy_start ))"
	echo "(CPU seconds: a step's own processes; for make test, the whole machine's busy time during the steps, out of $$(( elapsed * $$(nproc) )) on $$(nproc) cores; passed*: parts SKIPPED, listed below)"
	for step in $$failed; do
	  echo
	  echo "==> $$step FAILED: the last 60 lines of $(TEST_LOGS)/$$step.log"
	  tail -n 60 "$(TEST_LOGS)/$$step.log" || true
	done
	echo
	# A step that cannot run here (e.g. trixie without Debian's archive) passes but says SKIPPED and why,
	# once per part it did not run: never silent.
	skipped=$$(grep -h '^==> [^ ]*: SKIPPED: ' $(foreach s,$(TEST_STEPS),"$(TEST_LOGS)/$(s).log") 2>/dev/null || true)
	if [ -n "$$skipped" ]; then
	  echo "==> make test: $$(grep -c . <<<"$$skipped") part(s) SKIPPED:"
	  echo "$$skipped"
	  echo
	fi
	if [ -n "$$failed" ]; then
	  echo "==> make test: FAILED:$$failed (of: $(TEST_STEPS))" >&2
	  exit 1
	fi
	echo "==> make test: all steps passed ($(TEST_STEPS))$${skipped:+, $$(grep -c . <<<"$$skipped") part(s) of them SKIPPED (listed above)}"

# Both venvs (and apt) at once.
test-setup: venv-parts $(IMPORTER_STAMP)

# The edit loop: what catches most mistakes in a few minutes (no lab, no host nginx). Side by side,
# each step's output printed when it ends (--output-sync); fails if any step fails.
check:
	@$(MAKE) -j4 --output-sync=target venv-parts
	$(MAKE) -k -j3 --output-sync=target unit sanity lint

# ---------------------------------------------------------------- environment

# The parts at once (apt beside pip: pip installs wheels only, nothing it builds needs an apt package).
venv:
	@$(MAKE) -j4 --output-sync=target venv-parts

venv-parts: system-packages $(STAMP) $(COLLECTION_LINK) $(COMMUNITY_CRYPTO_STAMP) $(COMMUNITY_GENERAL_STAMP)

# nginx, named and nsupdate are needed by the lab, knotd and pdns_server/pdnsutil (its other two
# DNS servers, Knot DNS and PowerDNS with the SQLite backend) by the record tests, pebble (the
# ACME test server) by its ACME part, apache2 by the test of a web server that is not the role's,
# sshd (openssh-server) by the fleet_hosts scenario's web hosts, postfix and
# postfix-mta-sts-resolver by the postfix_outbound tests (a Postfix of their own under a temp dir:
# debconf "No configuration" leaves /etc/postfix without a main.cf, and the image's policy-rc.d
# keeps both from starting); prometheus (promtool, and the server the metrics test runs), prometheus-node-exporter,
# cron, python3-dnspython (the monitor role's cron path and its runner on the system Python) and
# systemd-analyze (its units, verified offline) by the metrics tests, dovecot-imapd (the lab mailbox the
# TLS reports are read from over IMAP); apt runs only when one of them is missing.
SYSTEM_PACKAGES := nginx bind9 bind9-dnsutils knot pdns-server pdns-backend-sqlite3 pebble apache2 openssh-server \
	postfix postfix-mta-sts-resolver prometheus prometheus-node-exporter cron python3-dnspython systemd curl debootstrap \
	dovecot-imapd
system-packages:
	@if command -v nginx >/dev/null && command -v named >/dev/null && command -v nsupdate >/dev/null \
	    && command -v knotd >/dev/null && command -v pdns_server >/dev/null && command -v pdnsutil >/dev/null \
	    && [ -e /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ] && command -v pebble >/dev/null \
	    && command -v apache2 >/dev/null && command -v sshd >/dev/null \
	    && command -v postconf >/dev/null && command -v mta-sts-daemon >/dev/null \
	    && command -v promtool >/dev/null && command -v prometheus >/dev/null \
	    && command -v prometheus-node-exporter >/dev/null && command -v crontab >/dev/null \
	    && command -v systemd-analyze >/dev/null && command -v curl >/dev/null && command -v debootstrap >/dev/null \
	    && command -v dovecot >/dev/null && /usr/bin/python3 -c 'import dns.resolver' 2>/dev/null; then
	  exit 0
	fi
	echo "==> installing system packages ($(SYSTEM_PACKAGES))"
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update
	apt-get install -y --no-install-recommends $(SYSTEM_PACKAGES)

# pip runs again only when a requirements or constraints file changes.
$(STAMP): requirements-dev.txt requirements.txt constraints.txt
	@echo "==> venv: $(VENV)"
	if [ ! -x "$(PY)" ] || ! "$(PY)" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
	  best=$$($(FIND_PYTHON))
	  echo "using $$best ($$("$$best" --version))"
	  rm -rf "$(VENV)"
	  "$$best" -m venv "$(VENV)"
	fi
	# (the grep drops pip's noise about this machine's missing file:// extra index folders)
	"$(PY)" -m pip install --disable-pip-version-check -q -r requirements-dev.txt 2>&1 \
	  | { grep -v "^WARNING: Location 'file://.*' is ignored" || true; }
	touch "$@"

$(COLLECTION_LINK):
	@mkdir -p "$(@D)"
	ln -sfn ../../.. "$@"

# Extracted next to the wheel in a scratch folder and moved into place only when complete, so an
# interrupted run leaves nothing half-made; the stamp (.community.NAME-VERSION) names the version,
# so a new pin re-extracts.
$(COLLECTIONS)/.community.%: | $(STAMP)
	@stem='$*'; name=$${stem%%-*}; want=$${stem#*-}
	echo "==> community.$$name $$want from the ansible $(ANSIBLE_BUNDLE_VERSION) wheel"
	tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp"' EXIT
	"$(PY)" -m pip download --disable-pip-version-check -q --no-deps --only-binary :all: \
	  -d "$$tmp" "ansible==$(ANSIBLE_BUNDLE_VERSION)" 2>&1 \
	  | { grep -v "^WARNING: Location 'file://.*' is ignored" || true; }
	"$(PY)" - "$$tmp" "$$name" "$$want" <<'EOF'
	import glob, json, sys, zipfile
	tmp, name, want = sys.argv[1:4]
	prefix = 'ansible_collections/community/%s/' % name
	wheel = zipfile.ZipFile(glob.glob(tmp + '/ansible-*.whl')[0])
	wheel.extractall(tmp + '/out', [member for member in wheel.namelist() if member.startswith(prefix)])
	got = json.load(open(tmp + '/out/' + prefix + 'MANIFEST.json'))['collection_info']['version']
	sys.exit(None if got == want else 'error: the wheel holds community.%s %s, not %s' % (name, got, want))
	EOF
	target="$(COLLECTIONS)/ansible_collections/community/$$name"
	mkdir -p "$$(dirname "$$target")"
	rm -rf "$$target" "$(COLLECTIONS)/.community.$$name-"*
	mv "$$tmp/out/ansible_collections/community/$$name" "$$target"
	touch "$@"

# Re-resolve the lock: install requirements-dev.txt without constraints into a scratch venv and
# freeze every package into constraints.txt. Commit the result; `make venv` then reinstalls.
constraints:
	@tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp" .requirements-unlocked.txt' EXIT
	grep -v '^-c ' requirements-dev.txt > .requirements-unlocked.txt
	best=$$($(FIND_PYTHON))
	"$$best" -m venv "$$tmp/venv"
	"$$tmp/venv/bin/pip" install --disable-pip-version-check -q -r .requirements-unlocked.txt 2>&1 \
	  | { grep -v "^WARNING: Location 'file://.*' is ignored" || true; }
	{ echo "# Generated by 'make constraints' (pip freeze of a venv resolved from requirements-dev.txt)."
	  echo "# Exact pins of every package, transitive ones included. Do not edit by hand."
	  "$$tmp/venv/bin/pip" freeze --all --exclude pip --exclude setuptools --exclude wheel
	} > constraints.txt
	echo "constraints.txt rewritten: $$(grep -vc '^#' constraints.txt) pins"

# ---------------------------------------------------------------- tests

# --basetemp: the tests' tmp_path folders in a temporary folder removed after the run (pytest's default,
# /tmp/pytest-of-<user>/, kept the last three runs' folders on the machine).
unit: venv
	@echo "==> unit: pytest tests/unit -n $(UNIT_WORKERS)"
	@base=$$(mktemp -d /tmp/mailsec-pytest-unit.XXXXXX); trap 'rm -rf "$$base"' EXIT; \
	  "$(PY)" -m pytest tests/unit -n $(UNIT_WORKERS) --basetemp="$$base"

# --dist loadfile: a work unit is a file (its module fixtures run once, its tests in order, on one worker);
# --no-loadscope-reorder: files in collection order, where tests/integration/conftest.py puts the longest
# first. Every worker has a lab of its own and a private copy of this machine's nginx
# (tests/lab/pytest_lab.py), so the role tests run in all workers at once.
# --durations: the slowest tests, to see where the time goes.
integration: venv
	@echo "==> integration: pytest tests/integration -n $(INTEGRATION_WORKERS) --dist loadfile"
	@base=$$(mktemp -d /tmp/mailsec-pytest-integration.XXXXXX); trap 'rm -rf "$$base"' EXIT; \
	  "$(PY)" -m pytest tests/integration -n $(INTEGRATION_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 \
	  --basetemp="$$base"

# ansible-test refuses a collection reached through a symlink, so sanity runs on a copy of the
# tracked and untracked-but-not-ignored files in .sanity/ansible_collections/mailsec/mta_sts
# (its tests/output/ is kept between runs: ansible-test caches its delegation venv there), made a
# git repo of its own so that ansible-test lists the copied files (git ls-files -co there).
# --venv, not --local: --local would install ansible-test's pinned sanity requirements into our
# own .venv; --venv builds a separate controller venv, and every sanity test with requirements
# gets its own venv under ~/.ansible/test/venv (cached: cold ~2 min, warm a few seconds each).
# Those venvs bootstrap pip from a get-pip.py that ansible-test downloads from a host we cannot
# reach; tests/sanity/get_pip_standin.py (ensurepip + pip install from the package index) is put
# in its cache under the file name(s) ansible-test looks for, derived from its own source.
# Pythons: no --python, so the multi-version tests (compile, import of modules/module_utils) run
# on every interpreter in .sanity/bin (pyenv's 3.9+) and the controller ones on the venv's Python.
sanity: venv
	@echo "==> sanity: ansible-test sanity"
	keep="$(SANITY_TOP)/output.keep"
	rm -rf "$$keep"
	if [ -d "$(SANITY_ROOT)/tests/output" ]; then mv "$(SANITY_ROOT)/tests/output" "$$keep"; fi
	rm -rf "$(SANITY_ROOT)"
	mkdir -p "$(SANITY_ROOT)/tests"
	git ls-files -z -co --exclude-standard \
	  | while IFS= read -r -d '' f; do if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\0' "$$f"; fi; done \
	  | tar --null -T - -cf - | tar -xf - -C "$(SANITY_ROOT)"
	if [ -d "$$keep" ]; then mv "$$keep" "$(SANITY_ROOT)/tests/output"; fi
	# A repo of its own: ansible-test lists files with git from the nearest .git upwards, and
	# in ours .sanity/ is ignored, which would leave it nothing to test.
	git -C "$(SANITY_ROOT)" init -q
	versions=$$("$(PY)" - <<'EOF'
	import pathlib, re, ansible_test
	src = pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
	print(' '.join(sorted(set(re.findall(r"\bpip='([0-9.]+)'", src.read_text())))))
	EOF
	)
	if [ -z "$$versions" ]; then echo "error: pip bootstrap version not found in ansible-test source" >&2; exit 1; fi
	for v in $$versions; do
	  install -D -m 0644 tests/sanity/get_pip_standin.py "$$HOME/.ansible/test/cache/get_pip_$${v//./_}.py"
	done
	rm -rf "$(SANITY_TOP)/bin"
	mkdir -p "$(SANITY_TOP)/bin"
	for p in $(SANITY_PYTHON_CANDIDATES); do
	  v=$$("$$p" -c 'import sys; assert sys.version_info >= (3, 9); print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
	  ln -sfn "$$p" "$(SANITY_TOP)/bin/python$$v"
	done
	v=$$("$(PY)" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	if [ ! -e "$(SANITY_TOP)/bin/python$$v" ]; then ln -s "$$(readlink -f "$(PY)")" "$(SANITY_TOP)/bin/python$$v"; fi
	echo "pythons: $$(cd "$(SANITY_TOP)/bin" && echo python*)"
	cd "$(SANITY_ROOT)"
	echo "+ ansible-test sanity --venv --color yes"
	PATH="$(SANITY_TOP)/bin:$$PATH" "$(VENV)/bin/ansible-test" sanity --venv --color yes

lint: venv
	@echo "==> lint: ansible-lint"
	"$(VENV)/bin/ansible-lint"

changelog-lint: venv
	@echo "==> changelog-lint: antsibull-changelog lint"
	"$(VENV)/bin/antsibull-changelog" lint

$(IMPORTER_STAMP): tests/release/importer-requirements.txt
	@echo "==> importer venv: $(IMPORTER_VENV)"
	if [ ! -x "$(IMPORTER_VENV)/bin/python" ] || ! "$(IMPORTER_VENV)/bin/python" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
	  best=$$($(FIND_PYTHON))
	  rm -rf "$(IMPORTER_VENV)"
	  "$$best" -m venv "$(IMPORTER_VENV)"
	fi
	"$(IMPORTER_VENV)/bin/python" -m pip install --disable-pip-version-check -q -r tests/release/importer-requirements.txt 2>&1 \
	  | { grep -v "^WARNING: Location 'file://.*' is ignored" || true; }
	touch "$@"

# What a user gets: see tests/release/release_check.py. community.crypto (the one dependency in
# galaxy.yml) is installed next to the tarball from .collections, offline.
release-check: venv $(IMPORTER_STAMP)
	@echo "==> release-check: build, galaxy-importer, install, ansible-doc, syntax-check by FQCN, git, plain-clone lint"
	"$(PY)" tests/release/release_check.py --importer-bin "$(IMPORTER_VENV)/bin" --dependency "$(COMMUNITY_CRYPTO)"

# The molecule scenarios run the role against this machine: lab up (prepare), check, converge,
# idempotence (zero changes), verify, cleanup (nginx and the lab stopped by PID, site removed).
# default: the two lab domains; fleet: the same plus 50 generated domains; acme: the two lab
# domains with certificates issued and renewed by the lab's Pebble ACME server; fleet_hosts: two
# web hosts (mount namespaces reached over SSH, one on Python 3.9) serving the same domains, forks 2.
MOLECULE_SCENARIOS := default fleet acme fleet_hosts
# Each scenario with a private copy of this machine's nginx (tests/lab/private_nginx.py), on its own lab net.
molecule: venv
	@export MAILSEC_LAB_NET=$(MOLECULE_LAB_NET) MAILSEC_LAB_DIR=$(MOLECULE_LAB_DIR)
	# fleet_hosts runs web2's module code on pyenv's Python 3.9; without one (a new Debian 13 machine) it says so.
	$(if $(filter fleet_hosts,$(MOLECULE_SCENARIOS)),"$(PY)" extensions/molecule/fleet_hosts/hosts.py skipped)
	# molecule keeps a scenario's state in ~/.ansible/tmp/molecule.<hash of the checkout>.<scenario> after the run
	# (each CI clone left a set there): here each scenario gets a folder of its own, removed after it.
	trap 'rm -rf "$${MOLECULE_EPHEMERAL_DIRECTORY:-}"' EXIT
	for scenario in $(MOLECULE_SCENARIOS); do
	  echo "==> molecule: extensions/molecule/$$scenario (MAILSEC_LAB_NET=$$MAILSEC_LAB_NET)"
	  export MOLECULE_EPHEMERAL_DIRECTORY=$$(mktemp -d "/tmp/mailsec-molecule-$$scenario.XXXXXX")
	  rc=0
	  "$(PY)" tests/lab/private_nginx.py -- molecule test --scenario-name "$$scenario" || rc=$$?
	  rm -rf "$$MOLECULE_EPHEMERAL_DIRECTORY"
	  [ "$$rc" -eq 0 ] || exit "$$rc"
	done
	# The scenarios' cleanup stops the lab but keeps its files (CA key, DKIM keys): nothing stays in /tmp.
	"$(PY)" tests/lab/lab.py purge --dir "$$MAILSEC_LAB_DIR" >/dev/null

# tests/lab/trixie.py installs the same packages into its cached Debian 13 root.
print-system-packages:
	@echo $(SYSTEM_PACKAGES)

# Debian 13 beside Debian 12 (this machine), a step of `make test` (lane 1, after integration; on
# TRIXIE_LAB_NET, so beside the other labs). tests/lab/trixie.py builds a trixie root with debootstrap once
# (cached in /var/cache/mailsec-lab/trixie-<hash>; cold 46 s, then reused) and starts it as a host of its
# own (mount, PID and UTS namespaces; its nginx's port-80 listens pinned to the host's own address, so
# nothing here touches this machine's nginx or takes *:80); the molecule scenario `trixie` runs the roles
# there over SSH; `trixie.py demo` runs `make demo` and `make demo-stop` inside it on a clean clone of
# HEAD. Exit 3 from `trixie.py build`: the root cannot be built here (Debian's archive unreachable,
# no debootstrap): each part prints a SKIPPED line with the reason, which `make test` lists at its end.
TRIXIE_PARTS := molecule scenario trixie (the roles on Debian 13)|make demo and make demo-stop inside Debian 13
trixie: venv
	@export MAILSEC_LAB_NET=$(TRIXIE_LAB_NET) MAILSEC_LAB_DIR=$(TRIXIE_LAB_DIR)
	echo "==> trixie: the Debian 13 root (tests/lab/trixie.py build), lab net $$MAILSEC_LAB_NET"
	rc=0
	out=$$("$(PY)" tests/lab/trixie.py build 2>&1) || rc=$$?
	echo "$$out"
	if [ "$$rc" -eq 3 ]; then
	  reason=$$(sed -n 's/^SKIP: //p' <<<"$$out")
	  IFS='|' read -ra parts <<<"$(TRIXIE_PARTS)"
	  for part in "$${parts[@]}"; do echo "==> trixie: SKIPPED: $$part: $$reason"; done
	  exit 0
	fi
	if [ "$$rc" -ne 0 ]; then exit "$$rc"; fi
	# The scenario's state in a folder of its own, removed after it (see molecule).
	MOLECULE_EPHEMERAL_DIRECTORY=$$(mktemp -d /tmp/mailsec-molecule-trixie.XXXXXX)
	rc=0
	MOLECULE_EPHEMERAL_DIRECTORY=$$MOLECULE_EPHEMERAL_DIRECTORY molecule test --scenario-name trixie || rc=$$?
	rm -rf "$$MOLECULE_EPHEMERAL_DIRECTORY"
	[ "$$rc" -eq 0 ] || exit "$$rc"
	# The scenario's cleanup stops its lab but keeps its files (CA key, DKIM keys): nothing stays in /tmp.
	"$(PY)" tests/lab/lab.py purge --dir "$$MAILSEC_LAB_DIR" >/dev/null
	"$(PY)" tests/lab/trixie.py up
	trap '"$(PY)" tests/lab/trixie.py down' EXIT
	"$(PY)" tests/lab/trixie.py demo
	# The demo's clone and venv, for the postfix_outbound delivery cases against Postfix 3.10 and
	# resolver 1.5.0 (Debian's package), then the pinned PyPI release (the role's pip install).
	for install in package pip; do
	  echo "==> trixie: tests/integration/test_postfix_outbound.py in the Debian 13 host, resolver from $$install"
	  "$(PY)" tests/lab/trixie.py run -- env MAILSEC_LAB_NET=$$MAILSEC_LAB_NET MAILSEC_TEST_RESOLVER_INSTALL=$$install \
	    PIP_CERT=/etc/ssl/certs/ca-certificates.crt sh -c 'cd /srv/mailsec-share/mta_sts && .venv/bin/python -m pytest \
	    -p no:cacheprovider tests/integration/test_postfix_outbound.py'"$$([ $$install = pip ] && echo " -k 'delivery or resolver or chosen_install'")"
	done

# antsibull-docs writes the RST of every plugin and role (from the working tree, through .collections),
# Sphinx builds HTML with docs/conf.py; -W and nitpicky: any warning, a broken reference included,
# fails. Offline: references to docs.ansible.com become plain links (docs/conf.py says how).
DOCS_DIR := $(CURDIR)/.docs
docs: venv
	@echo "==> docs: antsibull-docs + sphinx-build -> $(DOCS_DIR)/html"
	rm -rf "$(DOCS_DIR)"
	mkdir -p "$(DOCS_DIR)/rst"
	chmod og-w "$(DOCS_DIR)/rst"  # antsibull-docs wants it writable by its owner alone
	"$(VENV)/bin/antsibull-docs" --config-file docs/antsibull-docs.cfg collection --use-current --squash-hierarchy \
	  --fail-on-error --dest-dir "$(DOCS_DIR)/rst" mailsec.mta_sts
	"$(VENV)/bin/sphinx-build" -q -W --keep-going -b html -c docs "$(DOCS_DIR)/rst" "$(DOCS_DIR)/html"
	echo "HTML documentation: $(DOCS_DIR)/html/index.html"

# ---------------------------------------------------------------- lab demo

# The whole job on this machine; the lab (named, SMTP listeners) and nginx stay up afterwards.
# The lab playbooks live with the tests (tests/playbooks/), not in the collection's public
# playbooks/: they start and stop services. demo-stop leaves the host as demo found it (the lab's
# own files out of /etc/nginx, nginx stopped only if the demo started it, else reloaded without the
# lab's sites; see tests/playbooks/lab_stop.yml), then stops the lab and removes its state.
# LAB_ACME=1: the certificates for mta-sts.<lab domain> come from the lab's Pebble ACME server
# through the role's ACME support, instead of from the lab CA.
LAB_ACME ?=
LAB_DIR = $${MAILSEC_LAB_DIR:-/tmp/mailsec-lab}
demo: venv
	@echo "==> demo: tests/playbooks/lab.yml (loopback lab, role for two lab domains, verify)$(if $(LAB_ACME), with certificates from Pebble)"
	"$(VENV)/bin/ansible-playbook" tests/playbooks/lab.yml $(if $(LAB_ACME),-e lab_acme=true)
	echo
	net=$${MAILSEC_LAB_NET:-0}
	echo "The lab is still running (named on 127.$$net.53.1, MX listeners on 127.$$net.25.1-2, nginx on 127.$$net.80.1)."
	$(if $(LAB_ACME),echo "Pebble (ACME) runs on https://127.$$net.14.1:14000/dir.")
	echo "Stop it with: make demo-stop"

demo-stop: venv
	@echo "==> demo-stop: the lab's nginx files, nginx (only if the demo started it) and the lab, by PID"
	"$(VENV)/bin/ansible-playbook" tests/playbooks/lab_stop.yml
	"$(PY)" tests/lab/lab.py purge --dir "$(LAB_DIR)"

# ---------------------------------------------------------------- housekeeping

clean:
	@rm -rf "$(VENV)" "$(IMPORTER_VENV)" "$(COLLECTIONS)" "$(SANITY_TOP)" "$(DOCS_DIR)" "$(TEST_LOGS)" tests/output
