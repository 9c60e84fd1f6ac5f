# Herstel: `make run` serves the demo, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
# The tests run in parallel, one worker per core this machine gives us (WORKERS=0: in this
# process, one after the other). With loadgroup the tests on the live server (the browser and
# concurrency tests) stay on one worker, handed out first, and the rest go one by one to
# whichever worker is free; load and worksteal took as long here, with a server and a
# Chromium per worker.
WORKERS ?= $(shell nproc)
DIST ?= loadgroup
# The tests' temporary files (a copy of the demo school per test, and each commit to one an fsync of a
# few ms on a disk) go to memory where the machine has a writable /dev/shm with 2 GB free (a container's
# is often 64 MB); nothing a test checks depends on the disk under them. pytest.ini keeps only a failed
# test's files.
TEST_TMPDIR ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -gt 2000000 ] \
  && echo /dev/shm || echo "$${TMPDIR:-/tmp}")
# Python keeps each module it compiled (__pycache__, pytest's rewritten tests among them) even where the
# environment asks it not to (PYTHONDONTWRITEBYTECODE): every test worker, and each server and command a
# test starts (some thirty gunicorns a run), would compile the app and the tests again from their source.
PYTEST := env -u PYTHONDONTWRITEBYTECODE TMPDIR=$(TEST_TMPDIR) $(BIN)/python -m pytest -n $(WORKERS) --dist $(DIST)

.PHONY: run test screenshots test-fast test-postgres postgresql demo-reset install install-dev translations chromium java node axe oidc-provider clean messages bench bench-postgres bench-floor mutation mutation-again

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

$(VENV)/.installed-mutation: requirements-mutation.txt $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -r requirements-mutation.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations 2>&1 | grep -v "^compiling" || true

## run: set up, apply migrations, load the demo school (only into an empty database), serve on :8000
## (or on HERSTEL_BIND); the server prints the address it listens on
run: install
	$(FLASK) migrate
	$(FLASK) demo
	$(BIN)/gunicorn -c gunicorn.conf.py "app:create_app()"

## demo-reset: wipe the database and load the demo school anew
demo-reset: install
	$(FLASK) demo --reset

## chromium: Debian's Chromium for the browser tests (installed when missing and we are root)
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || { echo "Chromium kon niet worden geïnstalleerd"; exit 1; }; \
	  else echo "Chromium ontbreekt: installeer het Debian-pakket 'chromium' (als root: make chromium)"; exit 1; fi; \
	fi

## java: a Java runtime for the HTML checker (vnu.jar) of tests/test_valid_html.py (installed when missing and we are root)
java:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null) \
	      || { echo "Java kon niet worden geïnstalleerd"; exit 1; }; \
	  else echo "Java ontbreekt: installeer het Debian-pakket 'default-jre-headless' (als root: make java)"; exit 1; fi; \
	fi

## node: Debian's Node.js and npm, for axe-core and the test provider (installed when missing and we are root)
node:
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
	      || { echo "Node.js en npm konden niet worden geïnstalleerd"; exit 1; }; \
	  else echo "npm ontbreekt: installeer de Debian-pakketten 'nodejs' en 'npm' (als root: make node)"; exit 1; fi; \
	fi

## axe: axe-core, the accessibility checker the browser tests inject into the pages they walk, at the
## version package-lock.json pins, into node_modules/ (not in git; never served)
axe: node node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm ontbreekt: installeer het Debian-pakket 'npm' (nodig voor axe-core)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@


## oidc-provider: the real OpenID Connect provider of the school-account login tests (node's oidc-provider,
## OpenID-certified), installed from the npm registry with `npm ci` (the versions of its package-lock.json)
## into tests/oidc_provider/node_modules when that is missing or older than the lock file; needs Node.js 20+
OIDC_PROVIDER := tests/oidc_provider/node_modules/.package-lock.json
$(OIDC_PROVIDER): tests/oidc_provider/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js en npm ontbreken: installeer het Debian-pakket 'nodejs' en 'npm'"; exit 1; }
	cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error
	touch $@
oidc-provider: node $(OIDC_PROVIDER)


## test: install what the tests need (Chromium, Java, axe-core and the test provider included) and run them all once
test: install-dev chromium java axe oidc-provider
	$(PYTEST)

## screenshots: the browser tests, each page they look at kept as a screenshot in test-artifacts/ to look at
screenshots: install-dev chromium java axe oidc-provider
	HERSTEL_SCREENSHOTS=1 $(PYTEST) -m browser

## test-fast: every test but the browser tests (no Chromium needed)
test-fast: install-dev
	$(PYTEST) -m "not browser"

## postgresql: Debian's PostgreSQL server for test-postgres (installed when missing and we are root)
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	      || { echo "PostgreSQL kon niet worden geïnstalleerd"; exit 1; }; \
	  else echo "PostgreSQL ontbreekt: installeer het Debian-pakket 'postgresql' (als root: make postgresql)"; exit 1; fi; \
	fi

## test-postgres: every test again, on a throwaway PostgreSQL server on loopback (DATABASE_URL setups)
test-postgres: install-dev chromium java axe oidc-provider postgresql
	tests/with-postgres $(PYTEST)

clean:
	rm -rf $(VENV) .pytest_cache translations/*/LC_MESSAGES/*.mo node_modules

## messages: collect the interface texts into the English catalog (then translate the new ones)
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output -o translations/messages.pot \
	  --ignore-dirs ".* ._ tests bench migrations static translations instance mutants node_modules" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

## mutation: plant small bugs in the modules that hold the README's promises (pyproject.toml), run the
## fast tests against each, print a score per module and the survivors; resumes where it stopped.
## MODULE=domain/escalation.py: that module's bugs only (all of them again) and its score;
## with FUNCTIONS="_meaning check_soon" only the bugs of the functions whose names begin so (a sample)
## (the mutants of permissions/ and domain/followups.py run their module's focused tests only: pyproject.toml)
mutation: $(VENV)/.installed-mutation translations
	$(BIN)/mutmut run --max-children $(WORKERS) $(if $(MODULE),$(if $(FUNCTIONS),$(foreach f,$(FUNCTIONS),"$(subst /,.,$(MODULE:.py=)).x_$(f)*"),"$(subst /,.,$(MODULE:.py=)).*"))
	$(BIN)/python tests/mutation.py $(MODULE)

## mutation-again: MODULE's survivors (all modules' without it) once more, on the whole selection of tests
mutation-again: $(VENV)/.installed-mutation translations
	names="$$($(BIN)/python tests/mutation.py --survivors $(MODULE))"; \
	  if [ -n "$$names" ]; then MUTATION_WIDE=1 $(BIN)/mutmut run --max-children $(WORKERS) $$names; fi
	$(BIN)/python tests/mutation.py $(MODULE)

## bench: load figures on a large school's database (not part of make test; a few minutes);
## SIZE=200000 for a board's (200,000 cases; seeded once per size, a few minutes)
SIZE ?= 20000
bench: install-dev
	BENCH_SIZE=$(SIZE) $(BIN)/python bench/run.py

## bench-postgres: the same bench on a throwaway PostgreSQL server with its durability on (seeded each run)
bench-postgres: install-dev postgresql
	HERSTEL_PG_DURABLE=1 tests/with-postgres sh -c 'BENCH_SIZE=$(SIZE) BENCH_POSTGRES_URL="$$HERSTEL_TEST_DATABASE_URL" $(BIN)/python bench/run.py'

## bench-floor: the fastest any Flask tap with an fsynced write gets here, next to Herstel's (a few minutes)
bench-floor: install-dev
	$(BIN)/python bench/floor.py
