"""Command line: ``python -m pixel_influence <command> ...``.

Commands:
  inspect FILE          a readable summary of one of the workflow's HDF5 files
  explorer [SAMPLE...]  the explorer page for a weights.h5 and any sample files

Expected mistakes (a missing or unreadable file, another format version, a method, layer,
node or class that is not in the file) end with a one-line message and exit status 2.
"""

import argparse
import os
import sys

from . import explorer as explorer_page
from .errors import InputError
from .inspection import TOP, WIDTH, summary_lines

EPILOG = """\
examples:
  python -m pixel_influence inspect results/influence/digit7.h5
  python -m pixel_influence inspect results/influence/digit7.h5 --method insertion --node 7 --top 10
  python -m pixel_influence inspect results/influence/digit7.h5 --layer z1 --node 0,1 --no-tree
  python -m pixel_influence inspect results/sweep/test/classes.h5 --class 3 --method deeplift
  python -m pixel_influence inspect results/network/weights.h5 --full
  python -m pixel_influence explorer results/influence/digit7.h5 -o digit7.html

--method, --layer, --node and --class take a comma-separated list or can be repeated.
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m pixel_influence",
        description="Tools for the pixel influence workflow's results.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    inspect = commands.add_parser(
        "inspect",
        help="summarise an HDF5 file: attributes, datasets, top pixels per node",
        description=(
            "Print a readable summary of one of the workflow's HDF5 files: its root "
            "attributes, its groups and datasets (shape with named axes, dtype, units, "
            "meaning) and, for a sample's influence file or a sweep's classes.h5, the "
            "pixels of largest |influence| per node with the node's f(x), f(x) - f(baseline) "
            "and residual (f(x) - f(baseline) - sum of the map). By default: every method, "
            "layer z3 (else the last layer with maps), every node; for classes.h5 each "
            "class's own digit."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inspect.add_argument("file", metavar="FILE", help="an HDF5 file written by the workflow")
    inspect.add_argument(
        "--method",
        action="append",
        metavar="M",
        help="methods whose top pixels to show (default: all in the file)",
    )
    inspect.add_argument(
        "--layer",
        action="append",
        metavar="L",
        help="layers whose nodes to show (default: z3, else the last layer with maps)",
    )
    inspect.add_argument(
        "--node",
        action="append",
        metavar="N",
        help="node indices, 0-based (default: every node of the layer)",
    )
    inspect.add_argument(
        "--class",
        dest="classes",
        action="append",
        metavar="C",
        help="classes.h5 only: classes (digit labels) whose mean maps to show, every node "
        "of the layer unless --node (default: each class on its own digit's node for "
        "z3/a3, with a table of images per class)",
    )
    inspect.add_argument(
        "--top",
        type=int,
        default=TOP,
        metavar="K",
        help=f"pixels per node, largest |influence| first (default: {TOP})",
    )
    inspect.add_argument(
        "--full",
        action="store_true",
        help="every attribute and meaning in full, no group abbreviated",
    )
    inspect.add_argument("--no-tree", action="store_true", help="leave out the dataset tree")
    inspect.add_argument("--no-top", action="store_true", help="leave out the top pixels per node")
    add_explorer(commands)
    return parser


def add_explorer(commands):
    page = commands.add_parser(
        "explorer",
        help="build the explorer page for a network and any sample files",
        description=(
            "Write one self-contained HTML page (works opened from disk, offline) where a "
            "person draws a digit and watches the maps of every node, computed live in the "
            "page from the network's weights, with the given samples (and their Shapley "
            "maps) and a sweep's class means to pick from. The workflow's rule `explorer` "
            "writes results/explorer/index.html the same way."
        ),
    )
    page.add_argument(
        "samples",
        nargs="*",
        metavar="SAMPLE",
        help="sample files (results/influence/<sample>.h5), listed in this order",
    )
    page.add_argument("--weights", default="results/network/weights.h5", metavar="FILE")
    page.add_argument("--baseline", default="results/network/baseline.h5", metavar="FILE")
    page.add_argument(
        "--classes", metavar="FILE", help="a sweep's classes.h5: its class means to pick from"
    )
    page.add_argument(
        "--layer",
        action="append",
        metavar="L",
        help="layers shown first (default: those of the sample files)",
    )
    page.add_argument(
        "-o", "--output", default="explorer.html", metavar="FILE", help="default: explorer.html"
    )


def inspect(args):
    path = args.file
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not an HDF5 file")
    return summary_lines(
        path,
        methods=args.method,
        layers=args.layer,
        nodes=args.node,
        classes=args.classes,
        top=args.top,
        full=args.full,
        tree=not args.no_tree,
        pixels=not args.no_top,
        width=WIDTH,
    )


def explorer(args):
    for path in [args.weights, args.baseline, *args.samples, *filter(None, [args.classes])]:
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file")
    layers = [x for item in args.layer or [] for x in item.split(",") if x]
    sizes = explorer_page.write(
        args.output, args.weights, args.baseline, args.samples, args.classes, layers or None
    )
    return [f"wrote {args.output}: {explorer_page.size_text(sizes)}"]


COMMANDS = {"inspect": inspect, "explorer": explorer}


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        lines = COMMANDS[args.command](args)
    except InputError as e:
        message = " ".join(str(e).split())  # one line, whatever the underlying error said
        print(f"{parser.prog} {args.command}: error: {message}", file=sys.stderr)
        return 2
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:  # piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
