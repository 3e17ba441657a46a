"""The LaTeX derivation report (``radiuscnn report``).

``reports.build.build_report`` runs the pipeline on one configuration and writes
``results.json`` (every number the text cites, with the exact string it is printed as),
``derivation.tex`` (generated from ``results.json`` only), the figures ``fig-*.pdf`` and,
when a TeX engine is available, ``derivation.pdf``.

Modules, in pipeline order:

- :mod:`reports.collect` (the table of stages and the claims), :mod:`reports.context` (what
  collectors share; ``Context.claim`` asks the claim registry once per claim),
  :mod:`reports.collect_exact`, :mod:`reports.collect_trained`, :mod:`reports.collect_sweeps`
  (one collector per section's data, plain JSON);
- :mod:`reports.figure_data` and :mod:`reports.figures` (matplotlib, Agg, vector PDF);
- :mod:`reports.render` (Jinja2 over ``templates/``, LaTeX-safe delimiters),
  :mod:`reports.texhelpers` (small LaTeX pieces the templates call), :mod:`reports.mathtex`
  (the one SymPy printer), :mod:`reports.stepmath` (the engine's derivation steps typeset);
- :mod:`reports.latex` (escaping, cited numbers, tables, compiling), :mod:`reports.build`
  (orchestration).

A section for a new claim: a registry entry (``radiuscnn.verify.registry``), a collector in
:data:`reports.collect.PLAN`, a template ``templates/sections/<name>.tex.j2`` listed in
:data:`reports.render.SECTIONS`.
"""

from radiuscnn.reports.latex import MissingTeXError, ReportError, TeXCompileError

__all__ = ["MissingTeXError", "ReportError", "TeXCompileError"]
