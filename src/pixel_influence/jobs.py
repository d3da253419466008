"""Running a workflow script: log to the rule's log file; expected errors without traceback."""

import logging
import sys

from .errors import InputError


def run(job, snakemake):
    """Call ``job(snakemake)`` with logging sent to the rule's log (and stderr).

    An ``InputError`` (a problem with the data or the config that the user can fix) ends
    the job with its message alone; any other exception is a bug and keeps its traceback.
    """
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(snakemake.log[0], mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=handlers,
        force=True,
    )
    try:
        job(snakemake)
    except InputError as e:
        logging.error("%s", e)
        sys.exit(1)
