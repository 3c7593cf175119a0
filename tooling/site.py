"""Build the course's static website from the stored, executed notebooks (no broker, nothing executed).

Usage: python -m tooling.site [--out build/site]

Sphinx with MyST-NB and the Sphinx Book Theme (the engine of Jupyter Book 1) builds it from PyPI packages
alone, offline: every notebook becomes a page with its stored outputs and plots, notebook 00 (the course map)
is the landing page, each page gets a Binder launch button and "run it locally" instructions, exercise
solutions stay collapsed, and Sphinx's own search index is built in.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from helpers import config

NOTEBOOKS = config.PROJECT_ROOT / "notebooks"
DEFAULT_OUT = config.PROJECT_ROOT / "build" / "site"
SOURCE = config.PROJECT_ROOT / "build" / "site-src"
LANDING = "00_start_here"
#: The course's GitHub location; README.md's Binder badge names the same one (a test keeps them equal).
REPOSITORY = "OWNER/event-driven-course"
SOLUTION_TAG = "solution"

RUN_LOCALLY = """:::{{admonition}} Run this notebook yourself
:class: tip
Press the rocket icon at the top of the page to open it on Binder, or run it on your own machine against live
brokers:

```bash
git clone https://github.com/{repository}.git && cd {name}
make lab        # installs the course, starts Kafka, RabbitMQ and Redis, opens JupyterLab
```

Then open `notebooks/{notebook}.ipynb`. The outputs below are the ones the course's CI compares on every change.
:::
"""

CONF = """\
project = "Event-driven systems, hands on"
author = "The course's authors"
extensions = ["myst_nb"]
root_doc = "{landing}"
exclude_patterns = ["_build"]
nb_execution_mode = "off"            # the stored outputs are the ones CI checks; never re-run here
nb_output_stderr = "remove"          # progress bars (tqdm) write to stderr: noise on a static page
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
html_theme = "sphinx_book_theme"
html_title = project
html_extra_path = ["_extra"]
html_theme_options = {{
    "repository_url": "https://github.com/{repository}",
    "repository_branch": "main",
    "path_to_docs": "notebooks",
    "use_repository_button": True,
    "launch_buttons": {{"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"}},
    "show_toc_level": 2,
}}
"""

REDIRECT = '<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={landing}.html">' \
           '<link rel="canonical" href="{landing}.html"><title>Event-driven systems, hands on</title>\n'


def lesson_paths() -> list[Path]:
    """Every numbered notebook, in course order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def markdown_cell(cell_id: str, text: str) -> dict[str, Any]:
    """A notebook markdown cell holding text."""
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text.splitlines(keepends=True)}


def prepare_page(notebook: dict[str, Any], name: str, lessons: list[str]) -> dict[str, Any]:
    """The site's copy of one notebook: solutions collapsed, run-it-yourself note, landing page's toctree."""
    for cell in notebook["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if SOLUTION_TAG in tags and "hide-input" not in tags:
            tags.append("hide-input")
    note = RUN_LOCALLY.format(repository=REPOSITORY, name=REPOSITORY.split("/")[1], notebook=name)
    notebook["cells"].insert(1, markdown_cell("site-run-locally", note))
    if name == LANDING:
        toctree = "```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(lessons) + "\n```\n"
        notebook["cells"].append(markdown_cell("site-toctree", toctree))
    return notebook


def assemble(source: Path = SOURCE) -> list[str]:
    """Write the Sphinx source folder (config + prepared notebook copies); return the page names."""
    shutil.rmtree(source, ignore_errors=True)
    (source / "_extra").mkdir(parents=True)
    names = [path.stem for path in lesson_paths()]
    for path in lesson_paths():
        notebook = json.loads(path.read_text())
        page = prepare_page(notebook, path.stem, [name for name in names if name != LANDING])
        (source / path.name).write_text(json.dumps(page, indent=1, ensure_ascii=False))
    (source / "conf.py").write_text(CONF.format(landing=LANDING, repository=REPOSITORY))
    (source / "_extra" / "index.html").write_text(REDIRECT.format(landing=LANDING))
    return names


def build(out: Path = DEFAULT_OUT) -> float:
    """Assemble the source and run Sphinx's HTML builder, warnings as errors; return the seconds it took."""
    started = time.perf_counter()
    assemble()
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", str(SOURCE), str(out)]
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    """Entry point: build the site and say where it is."""
    parser = argparse.ArgumentParser(prog="python -m tooling.site", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/site)")
    args = parser.parse_args(argv)
    seconds = build(args.out)
    pages = len(list(args.out.glob("[0-9][0-9]_*.html")))
    print(f"site: {pages} pages in {args.out} ({seconds:.1f} s); open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
