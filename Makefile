# Thin targets over the venv, `python -m tooling.stack` and pytest. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-cell-timeout=180 --nbval-kernel-startup-timeout=60 \
         --nbval-sanitize-with notebooks/sanitize.cfg
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: help install up down status lab test test-helpers test-notebooks lint execute bench clean test-faults test-rerun

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the course and its tools

up: $(STAMP)  ## bring Kafka and RabbitMQ up (reuse, docker compose, or native)
	$(PY) -m tooling.stack up

down: $(STAMP)  ## stop the brokers that `make up` started
	$(PY) -m tooling.stack down

status: $(STAMP)  ## show each broker, how it was started, and a live round trip
	$(PY) -m tooling.stack status

lab: up  ## open JupyterLab on the course
	$(VENV)/bin/jupyter lab notebooks/00_start_here.ipynb

lint: $(STAMP)  ## ruff over helpers, tooling, tests and notebooks
	$(VENV)/bin/ruff check helpers tooling tests conftest.py notebooks

test-helpers: up  ## the helpers' unit and live-broker tests
	$(PY) -m pytest tests

test-notebooks: up up-cluster  ## every notebook under strict nbval
	$(PY) -m pytest $(NBVAL) $(NOTEBOOKS)

test: lint up up-cluster  ## lint, helpers' tests, then every notebook under strict nbval
	$(PY) -m pytest tests $(NBVAL) $(NOTEBOOKS)

test-faults: $(STAMP)  ## kill consumers and brokers on purpose (a native stack of its own on spare ports)
	$(PY) -m pytest tests/faults

test-rerun: up up-cluster  ## every notebook under strict nbval twice on the same brokers, then again after down + up
	$(PY) tests/rerun.py

execute: up up-cluster  ## regenerate every notebook's stored outputs, top to bottom, fresh kernels
	$(PY) -m tooling.notebooks execute $(or $(NB),$(NOTEBOOKS))

bench: up  ## Kafka, RabbitMQ and the event stores measured side by side (table + results/bench-*.csv)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m tooling.bench

clean: down  ## remove the brokers' local state and the course data
	rm -rf .stack .data results

# Launching elsewhere: Binder's way (non-root, fresh copy, binder/postBuild + binder/start) and a real browser.
.PHONY: test-launch test-browser
BROWSER_STAMP := $(VENV)/.browser-installed

$(BROWSER_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e ".[browser]"
	touch $(BROWSER_STAMP)

test-launch: $(STAMP)  ## launch as Binder does: non-root user, fresh copy, postBuild, start + notebook 00 (own ports)
	$(PY) -m pytest -p no:cacheprovider -s tests/launch/test_binder_launch.py

test-browser: up $(BROWSER_STAMP)  ## notebook 00 in JupyterLab, run in headless Chromium; screenshot in results/browser/
	$(PY) -m pytest -p no:cacheprovider -s tests/launch/test_browser.py

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
