"""Command line: ``python -m pixel_influence <command> ...``.

Commands:
  inspect FILE          a readable summary of one of the workflow's HDF5 files
  explorer [SAMPLE...]  the explorer page for a weights.h5 and any sample files
  compare FILE FILE...  one sample's montages from several runs, side by side

Expected mistakes (a missing or unreadable file, another format version, a method, layer,
node or class that is not in the file) end with a one-line message and exit status 2.
"""

import argparse
import os
import sys
from pathlib import Path

from . import explorer as explorer_page
from . import h5io
from .errors import InputError
from .inspection import TOP, WIDTH, summary_lines
from .render import canvas, montage, shading
from .render import compare as compare_figure

EPILOG = """\
examples:
  python -m pixel_influence inspect results/influence/digit7.h5
  python -m pixel_influence inspect results/influence/digit7.h5 --method insertion --node 7 --top 10
  python -m pixel_influence inspect results/influence/digit7.h5 --layer z1 --node 0,1 --no-tree
  python -m pixel_influence inspect results/sweep/test/classes.h5 --class 3 --method deeplift
  python -m pixel_influence inspect results/network/weights.h5 --full
  python -m pixel_influence explorer results/influence/digit7.h5 -o digit7.html
  python -m pixel_influence compare book/results/influence/digit3.h5 \
      relu/results/influence/digit3.h5 --method deeplift -o digit3-book-relu.png

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
    add_compare(commands)
    return parser


def add_compare(commands):
    side = commands.add_parser(
        "compare",
        help="one sample's montages from several runs (networks, configs) side by side",
        description=(
            "Draw the montage of each influence file (the same sample from two runs, e.g. "
            "two networks run with --directory) next to each other in one PNG, each under "
            "a heading naming its run and its network (from the run's "
            "results/network/weights.h5 when it is there)."
        ),
    )
    side.add_argument(
        "files", nargs="+", metavar="FILE", help="influence files, results/influence/<sample>.h5"
    )
    side.add_argument(
        "--method",
        action="append",
        metavar="M",
        help="methods to draw (default: those every file has, in the first file's order)",
    )
    side.add_argument(
        "--layer",
        action="append",
        metavar="L",
        help="layers to draw (default: each file's own)",
    )
    side.add_argument(
        "--label", action="append", metavar="TEXT", help="a heading per file, in order"
    )
    side.add_argument(
        "--scale",
        choices=("layer", "node"),
        default="layer",
        help="one gray scale per layer (default) or per node, in each file",
    )
    side.add_argument("--zoom", type=int, default=2, choices=range(1, 9), metavar="Z")
    side.add_argument(
        "-o", "--output", default="compare.png", metavar="FILE", help="default: compare.png"
    )


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


def _run_of(path):
    """The run folder of results/influence/<sample>.h5 (the folder holding results/), as
    the path names it, or None."""
    parts = Path(path).parts
    if len(parts) >= 3 and parts[-3:-1] == ("results", "influence"):
        return Path(*parts[:-3]) if len(parts) > 3 else Path(".")
    return None


def _heading(path, label):
    """A run's heading: its label (default: its folder) and its network, when the run's
    weights file is there."""
    run = _run_of(path)
    words = label or (str(run) if run is not None else path)
    weights = run / "results" / "network" / "weights.h5" if run is not None else None
    if weights is not None and weights.is_file():
        words += f" ({h5io.describe_weights(weights)})"
    return words


def compare(args):
    if len(args.files) < 2:
        raise InputError("compare: give two or more influence files")
    labels = args.label or []
    if labels and len(labels) != len(args.files):
        raise InputError(f"{len(labels)} --label for {len(args.files)} files: give one per file")
    for path in args.files:
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file")
    contents = [h5io.read_contents(path) for path in args.files]
    wanted = [x for item in args.method or [] for x in item.split(",") if x]
    methods = wanted or [
        m for m in contents[0]["methods"] if all(m in c["methods"] for c in contents)
    ]
    if not methods:
        raise InputError("the files have no method in common; name one with --method")
    layers_wanted = [x for item in args.layer or [] for x in item.split(",") if x]
    pictures, headings = [], []
    for i, (path, have) in enumerate(zip(args.files, contents)):
        missing = [m for m in methods if m not in have["methods"]]
        layers = layers_wanted or have["layers"]
        missing += [layer for layer in layers if layer not in have["layers"]]
        if missing:
            raise InputError(
                f"{path}: has no maps of {', '.join(missing)} (it has methods "
                f"{', '.join(have['methods'])}; layers {', '.join(have['layers'])})"
            )
        data = h5io.read_influence(path, methods, layers)
        pictures.append(
            montage.montage(
                data["image"],
                data["maps"],
                shading.scales(data["maps"], args.scale, None),
                data["probabilities"],
                data["title"],
                args.scale,
                residuals=data["residuals"],
                zoom=args.zoom,
                output_layers=data["output_layers"],
            )
        )
        headings.append(_heading(path, labels[i] if labels else None))
    picture = compare_figure.side_by_side(pictures, headings, args.zoom)
    canvas.save_png(
        picture,
        args.output,
        {"Title": " | ".join(headings), "method": ", ".join(methods), "scale": args.scale},
    )
    return [f"wrote {args.output}: {picture.width} x {picture.height} px, {len(pictures)} runs"]


COMMANDS = {"inspect": inspect, "explorer": explorer, "compare": compare}


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
