# Thin targets over the venv, `python -m tooling.stack` and pytest. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NBVAL = $(shell $(PY) -m tooling.notebooks nbval-args)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

# Every package pinned to the lock for this Python (locks/py3.11.txt, py3.13.txt, py3.14.txt: `make lock` refreshes them).
# A Python without a lock installs the newest releases pyproject.toml allows, and says so.
PYTHON_MINOR := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
LOCK := $(wildcard locks/py$(PYTHON_MINOR).txt)
PINNED := $(if $(LOCK),--constraint $(LOCK))
LOCK_PYTHONS := 3.11 3.13 3.14
UV := uv==0.13.8

.PHONY: help install up down status lab test test-helpers test-notebooks lint execute profile estimate bench clean test-faults test-rerun test-learner strip
.PHONY: lock test-latest

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(LOCK),,@echo "note: no lock for Python $(PYTHON_MINOR) in locks/: installing the newest releases allowed")
	$(PY) -m pip install --quiet $(PINNED) -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the course and its tools, at the versions in locks/

lock: $(STAMP)  ## refresh locks/ to the newest releases pyproject.toml allows (uv pip compile, per Python)
	$(PY) -m pip install --quiet $(UV)
	for version in $(LOCK_PYTHONS); do \
	  $(VENV)/bin/uv pip compile pyproject.toml --quiet --upgrade --all-extras \
	    --python-version $$version --python-platform x86_64-unknown-linux-gnu -o locks/py$$version.txt || exit 1; \
	done

up: $(STAMP)  ## bring Kafka, RabbitMQ and Redis up (reuse, docker compose, or native)
	$(PY) -m tooling.stack up

down: $(STAMP)  ## stop the brokers that `make up` started
	$(PY) -m tooling.stack down

status: $(STAMP)  ## show each service, how it was started, and a live round trip
	$(PY) -m tooling.stack status

# Jupyter refuses to run as root without --allow-root (a container, WSL or a cloud VM often logs in as root).
USER_ID ?= $(shell id -u)
LAB_ARGS ?= $(if $(filter 0,$(USER_ID)),--allow-root)

lab: up  ## open JupyterLab on the course (LAB_ARGS: more options; --allow-root is added for root)
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks/00_start_here.ipynb

lint: $(STAMP)  ## ruff over helpers, tooling, tests and notebooks
	$(VENV)/bin/ruff check helpers tooling tests conftest.py notebooks

test-helpers: up  ## the helpers' unit and live-broker tests
	$(PY) -m pytest tests

test-notebooks: up up-cluster  ## every notebook under strict nbval
	$(PY) -m pytest $(NBVAL) $(NOTEBOOKS)

test: lint up up-cluster  ## lint, helpers' tests, then every notebook under strict nbval (cell times: make profile's table)
	$(PY) -m pytest tests $(NBVAL) -p tooling.cell_times --cell-times=.stack/cell-times.json $(NOTEBOOKS)

test-faults: $(STAMP)  ## kill consumers and brokers on purpose (a native stack of its own on spare ports)
	$(PY) -m pytest tests/faults

test-learner: $(STAMP)  ## play the learner on every single-node notebook: re-run, interrupt, restart a broker, two kernels (own stack)
	$(PY) -m pytest tests/learner $(LEARNER_ARGS)

test-rerun: up up-cluster  ## every notebook under strict nbval twice on the same brokers, then again after down + up
	$(PY) tests/rerun.py $(RERUN_ARGS)

# Notebooks 11-12 need the three-node cluster; `make execute NB=...` of any other notebook does not start it.
NEEDS_CLUSTER = $(if $(NB),$(filter notebooks/11_% notebooks/12_%,$(NB)),all)

execute: up $(if $(NEEDS_CLUSTER),up-cluster)  ## regenerate every notebook's stored outputs, top to bottom, fresh kernels
	$(PY) -m tooling.notebooks execute $(or $(NB),$(NOTEBOOKS))

profile: up $(if $(NEEDS_CLUSTER),up-cluster)  ## run every notebook (not saved) and print each one's total time and 3 slowest cells
	$(PY) -m tooling.profile $(NB)

estimate: $(STAMP)  ## how long each notebook takes a learner (core, exercises, deeper), by the rule in tooling/estimate.py
	$(PY) -m tooling.estimate $(NB)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet $(PINNED) -e '.[bench]'
	touch $(BENCH_STAMP)

bench: up $(BENCH_STAMP)  ## Kafka, RabbitMQ and the event stores measured side by side (table + results/bench-*.csv)
	$(PY) -m tooling.bench

.PHONY: test-bench
test-bench: up $(BENCH_STAMP)  ## the bench's librdkafka measurements on the live broker (tests/bench)
	$(PY) -m pytest -p no:cacheprovider tests/bench

clean: $(STAMP)  ## stop the cluster, the CDC profile, then the brokers, then remove their local state and the course data
	$(PY) -m tooling.stack down --cluster all
	$(PY) -m tooling.stack down --cdc
	$(PY) -m tooling.stack down
	rm -rf .stack .data results

# Launching elsewhere: Binder's way (non-root, fresh copy, binder/postBuild + binder/start) and a real browser.
.PHONY: test-launch test-browser
BROWSER_STAMP := $(VENV)/.browser-installed

$(BROWSER_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet $(PINNED) -e ".[browser]"
	touch $(BROWSER_STAMP)

test-launch: $(STAMP)  ## launch as Binder does: non-root user, fresh copy, postBuild, start + notebook 00 (own ports)
	$(PY) -m pytest -p no:cacheprovider -s tests/launch/test_binder_launch.py

test-browser: up $(BROWSER_STAMP)  ## notebook 00 in JupyterLab, run in headless Chromium; screenshot in results/browser/
	$(PY) -m pytest -p no:cacheprovider -s tests/launch/test_browser.py

# The course as a website: built from the stored notebooks (no broker), then checked in a real browser.
.PHONY: site test-site
SITE_STAMP := $(VENV)/.site-installed

$(SITE_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet $(PINNED) -e ".[site]"
	touch $(SITE_STAMP)

site: $(SITE_STAMP)  ## the static website of the executed course in build/site (open build/site/index.html)
	$(PY) -m tooling.site

test-site: site $(BROWSER_STAMP)  ## every site page in headless Chromium: title, plots, links, no errors; screenshots in results/site/
	$(PY) -m pytest -p no:cacheprovider tests/launch/test_site_browser.py

strip:  ## drop per-run metadata from every notebook (what the pre-commit hook does)
	$(PY) -m tooling.notebooks strip $(NOTEBOOKS)

# A second platform: Debian testing, forky (RabbitMQ 4.3 with every deprecated feature denied, Python 3.14, OpenJDK 25).
.PHONY: test-forky
test-forky:  ## lint, tests and every notebook (cluster too) in a cached Debian forky chroot (needs root; .ci/forky)
	.ci/forky

# The Docker path, live: a private Docker engine, look-alike images built here, notebooks 00 03 05 07 11 12 through
# docker compose with no java, mvn or rabbitmqctl reachable, a broker crash, make down (needs root; .ci/compose).
.PHONY: test-compose
test-compose: $(STAMP)  ## the course through docker-compose.yml in a private engine (needs root; .ci/compose)
	.ci/compose

# The newest releases pyproject.toml's ranges allow, in a venv of their own: what would move against the lock,
# then the tests that need no broker and every notebook under strict nbval. `make lock` adopts them.
LATEST := .venv-latest
NOT_LIVE := -m "not live" --deselect tests/test_lock.py

test-latest: up up-cluster  ## newest allowed releases in .venv-latest: what moves vs locks/, then pure tests + notebooks
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade -e ".[bench,browser,site]"
	$(LATEST)/bin/python -m tooling.locks moves $(or $(LOCK),locks/py$(PYTHON_MINOR).txt)
	$(LATEST)/bin/python -m pytest -p no:cacheprovider $(NOT_LIVE) tests $(NBVAL) $(NOTEBOOKS)

# The three-node cluster of notebooks 11-12 (tooling/stack/cluster.py): its own ports, beside the single-node stack.
.PHONY: up-cluster down-cluster status-cluster test-cluster
CLUSTER ?= all

up-cluster: $(STAMP)  ## three Kafka brokers + three RabbitMQ nodes for notebooks 11-12 (CLUSTER=kafka|rabbitmq|all)
	$(PY) -m tooling.stack up --cluster $(CLUSTER)

down-cluster: $(STAMP)  ## stop the cluster's nodes
	$(PY) -m tooling.stack down --cluster $(CLUSTER)

status-cluster: $(STAMP)  ## each cluster node up/down, the Kafka controller, partition and quorum-queue leaders
	$(PY) -m tooling.stack status --cluster $(CLUSTER)

test-cluster: $(STAMP)  ## kill cluster leaders on purpose: nothing acknowledged lost or duplicated (fixed ports, locked)
	flock /tmp/course-fixed-ports.lock $(PY) -m pytest -p no:cacheprovider tests/cluster

# The change-data-capture profile of notebook 17 (tooling/stack/native_postgres.py, native_connect.py): PostgreSQL
# with wal_level=logical and one Kafka Connect worker with Debezium's PostgreSQL connector, beside the single node.
.PHONY: up-cdc down-cdc status-cdc test-cdc

up-cdc: up  ## PostgreSQL + Kafka Connect with Debezium for notebook 17 (on top of `make up`'s Kafka)
	$(PY) -m tooling.stack up --cdc

down-cdc: $(STAMP)  ## stop PostgreSQL and Kafka Connect
	$(PY) -m tooling.stack down --cdc

status-cdc: $(STAMP)  ## PostgreSQL (SELECT 1, wal_level) and Kafka Connect (its plugins) round trips
	$(PY) -m tooling.stack status --cdc

test-cdc: up-cdc  ## Debezium's outbox router end to end: a row committed in PostgreSQL read from Kafka (tests/cdc)
	$(PY) -m pytest -p no:cacheprovider tests/cdc
