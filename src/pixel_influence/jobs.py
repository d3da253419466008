"""Running a workflow script: log to the rule's log file; expected errors without traceback."""

import logging
import sys

from .errors import InputError
from .files import write_error

__all__ = [
    "run",
]


def _handlers(log):
    """Log to stderr and to the rule's log file; a log file that cannot be written (a full
    disk, a read-only folder) ends the job at once with a message that says so."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if log:
        try:
            handlers.append(logging.FileHandler(log[0], mode="w"))
        except OSError as e:
            problem = write_error(log[0], e)
            print(f"ERROR {problem or e}", file=sys.stderr)
            sys.exit(1)
    return handlers


def run(job, snakemake):
    """Call ``job(snakemake)`` with logging sent to the rule's log (and stderr).

    An ``InputError`` (a problem with the data, the config or the disk that the user can
    fix) ends the job with its message alone; any other exception is a bug and keeps its
    traceback.
    """
    # a log file on a full disk must not bury the job's own message under logging's traceback
    logging.raiseExceptions = False
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=_handlers(snakemake.log),
        force=True,
    )
    try:
        job(snakemake)
    except InputError as e:
        logging.error("%s", e)
        sys.exit(1)
