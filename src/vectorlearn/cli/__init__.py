"""The ``vectorlearn`` command line: progress on stderr, results on stdout, ``--json`` for machines.

Every expected failure (bad data, bad options, unreadable files) prints one line to stderr and
exits with status 2; ``--debug`` shows the traceback instead.

Modules: ``_parser`` (the grammar), ``_options`` (train's options and the estimator parameters
they set), ``_arguments`` (argument types), ``_train`` with ``_data``, ``_run_folder`` and
``_run_file`` (training runs), ``_models`` (predict, evaluate, summary, gradcheck), ``_main``.
"""

from ._main import main
from ._parser import build_parser

__all__ = ["build_parser", "main"]
