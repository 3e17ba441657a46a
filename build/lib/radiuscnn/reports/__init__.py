"""The LaTeX derivation report (``radiuscnn report``).

``reports.build.build_report`` runs the pipeline on one configuration and writes
``results.json`` (every number the text cites, with the exact string it is printed as),
``derivation.tex`` (generated from ``results.json`` only), the figures ``fig-*.pdf`` and,
when a TeX engine is available, ``derivation.pdf``.

Modules: :mod:`reports.latex` (escaping, tables, document assembly, compiling),
:mod:`reports.figures` (matplotlib, Agg, vector PDF), :mod:`reports.sections` (one function
per section, LaTeX from results data), :mod:`reports.build` (orchestration).
"""

from radiuscnn.reports.latex import MissingTeXError, ReportError, TeXCompileError

__all__ = ["MissingTeXError", "ReportError", "TeXCompileError"]
