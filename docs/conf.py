"""Sphinx configuration of the course website.

Used from the source folder that ``course_tools.site`` stages (``_build/source``), never from docs/
directly: build the site with ``make book``.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # course_site.py, the local extension
SITE = json.loads((HERE / "_generated" / "site.json").read_text("utf-8"))
REPOSITORY_URL = f"https://github.com/{SITE['repository']}"
TEXT = SITE["text"]  # the site's sentences in this edition's language (course_tools.site)

project = TEXT["project"]
author = "the course authors"
copyright = "the course authors, MIT License"
language = SITE["sphinx_language"]  # "en", or "zh_CN" for the 中文 edition (built into zh/)
course_site = SITE  # read by the course_site extension

extensions = [
    "myst_nb",  # notebooks and MyST markdown
    "sphinx_copybutton",  # a copy button on every code cell
    "sphinx-mathjax-offline",  # MathJax 3 served from _static/mathjax: formulas render offline
    "course_site",  # badge, download and solution links on notebook pages
]
exclude_patterns = ["_generated/*", "**/.ipynb_checkpoints"]

# The committed outputs are what nbval checked: show them, never re-execute.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # progress bars carry no widget state: load no widget JavaScript (no CDN)
nb_merge_streams = True  # one block per cell for stdout, as in Jupyter
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "substitution"]
myst_substitutions = {"repository_link": f"[{SITE['repository']}]({REPOSITORY_URL})"}
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = TEXT["short_title"]
html_logo = "_static/logo.svg"
html_favicon = "_static/logo.svg"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_show_sphinx = False
html_context = {"default_mode": "auto"}  # follow the reader's light/dark setting
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": SITE["branch"],
    "path_to_docs": "",  # the staged notebooks sit at their repository paths
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "home_page_in_toc": True,
    "navbar_persistent": [],  # search lives in the sidebar: no extra header bar on laptops
    "logo": {"text": TEXT["short_title"]},
    "show_toc_level": 2,
    "navigation_with_keys": True,
    "extra_footer": TEXT["footer"].format(
        repository_link=f'<a href="{REPOSITORY_URL}">{SITE["repository"]}</a>'
    ),
}
copybutton_exclude = ".linenos, .gp, .go"
