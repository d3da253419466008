"""Running a workflow script: log to the rule's log file; expected errors without traceback."""

import logging
import sys

from .errors import InputError
from .files import write_error

__all__ = [
    "listed",
    "run",
    "run_each",
]


def _file_handler(path):
    """A handler writing to ``path``; a log file that cannot be written (a full disk, a
    read-only folder) ends the job at once with a message that says so."""
    try:
        return logging.FileHandler(path, mode="w")
    except OSError as e:
        problem = write_error(path, e)
        print(f"ERROR {problem or e}", file=sys.stderr)
        sys.exit(1)


def _handlers(log):
    """Log to stderr and to the rule's log file; a log file that cannot be written (a full
    disk, a read-only folder) ends the job at once with a message that says so."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if log:
        handlers.append(_file_handler(log[0]))
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


def run_each(one, snakemake):
    """Call ``one(snakemake, i)`` for each sample of a job, in order: the job of one
    sample, or of a batch of them (``snakemake.params.samples``; pixel_influence.batches).
    Each sample logs to its own log file, ``snakemake.log[i]``, as if it had a job of its
    own; an ``InputError`` ends the job with its message alone, in that sample's log."""
    logging.raiseExceptions = False
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=[logging.StreamHandler(sys.stderr)],
        force=True,
    )
    root = logging.getLogger()
    for i, _ in enumerate(snakemake.params.samples):
        handler = _file_handler(snakemake.log[i])
        handler.setFormatter(root.handlers[0].formatter)
        root.addHandler(handler)
        try:
            one(snakemake, i)
        except InputError as e:
            logging.error("%s", e)
            sys.exit(1)
        finally:
            root.removeHandler(handler)
            handler.close()


def listed(files):
    """A named input or output of a job as a list: Snakemake gives a list of one file as
    the file itself."""
    return [files] if isinstance(files, str) else list(files)
