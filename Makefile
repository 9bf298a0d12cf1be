# The course's commands. `make help` lists them.
# The README's two commands are `make course` (set up, then open JupyterLab) and `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
KERNEL := mlops-course
# Extra JupyterLab options, e.g. make course LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# The course's language: `make course LANG=pt-BR` opens the Portuguese edition's start page
# (a system locale such as pt_BR.UTF-8 chooses it too). Notebooks carry their own language.
COURSE_LANG := $(if $(filter pt-BR pt_BR% pt-br,$(LANG)),pt-BR,en)
START_PAGE  := $(if $(and $(filter pt-BR,$(COURSE_LANG)),$(wildcard START_HERE.pt-BR.md)),START_HERE.pt-BR.md,START_HERE.md)
# `make course LANG=pt-BR` would also hand the locale name "pt-BR" to every program; give them a real one.
LAB_LOCALE  := $(if $(filter command line,$(origin LANG)),LANG=C.UTF-8,)
# pytest options for `make test`, e.g. make test PYTEST_ARGS="-k data"
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help course setup test lint format lab release publish execute clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

course: setup lab ## set up everything (first time only), then open JupyterLab on the course (LANG=pt-BR: em português)

setup: $(STAMP) ## create .venv, install the pinned packages and the course kernel

$(STAMP): pyproject.toml jupyter/overrides.json
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "The course needs Python 3.11, but $(PYTHON) is %d.%d. Install Python 3.11 and run: make course PYTHON=python3.11" % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar on -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python 3 (MLOps course)"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)
	@echo "Course environment ready in $(VENV)."

lab: ## open JupyterLab on the course (after setup)
	$(LAB_LOCALE) MLOPS_COURSE_LANG=$(COURSE_LANG) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/$(START_PAGE) $(ROOT_FLAG) $(LAB_ARGS)

test: setup ## run the whole test suite: package, data, notebooks, grader
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

lint: setup ## ruff (lint and format check, notebooks included) and mypy on the package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

release: setup ## regenerate exercises/ from solutions/
	$(BIN)/mlops-course release

publish: setup ## write the learners' edition: make publish OUT=../mlops-course-edition
	@test -n "$(OUT)" || { echo "Name a new folder: make publish OUT=../mlops-course-edition"; exit 2; }
	$(BIN)/mlops-course publish "$(OUT)"

execute: setup ## re-run a notebook and store its outputs: make execute NB=notebooks/01_....ipynb
	@test -n "$(NB)" || { echo "Name the notebook: make execute NB=notebooks/01_introduction_to_mlops.ipynb"; exit 2; }
	$(BIN)/python -m mlops_course.execute $(NB)

clean: ## remove the course-local state (MLflow store, reports); keeps .venv
	rm -rf .course-data
