"""List every numeric leaf that differs between two ``results.json`` files.

    python benchmarks/compare_results.py BASELINE.json NEW.json [--ignore timing,environment]

Leaves are addressed by dotted paths (list indices as integers). Numbers (ints, floats,
exact fractions stored as strings such as ``"-33/2"``) are compared exactly; booleans and
other strings are listed separately (``text``), as are paths present on one side only. Keys
that measure the run rather than the mathematics (``timing``, ``environment``, wall-clock
``seconds``) are ignored by default. Exit code 1 when a numeric leaf differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction

DEFAULT_IGNORE = ("timing", "timing_jobs", "environment", "seconds", "cited")


def leaves(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, f"{path}.{i}" if path else str(i))
    else:
        yield path, node


def number(value):
    """The value as an exact number, or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def compare(old: dict, new: dict, ignore=DEFAULT_IGNORE) -> dict:
    def keep(path):
        return not any(part in ignore for part in path.split("."))

    a = {p: v for p, v in leaves(old) if keep(p)}
    b = {p: v for p, v in leaves(new) if keep(p)}
    out = {"numeric": [], "text": [], "only_old": sorted(set(a) - set(b)), "only_new": sorted(set(b) - set(a))}
    for path in sorted(set(a) & set(b)):
        x, y = a[path], b[path]
        if x == y and type(x) is type(y):
            continue
        nx, ny = number(x), number(y)
        if nx is not None and ny is not None:
            if nx != ny:
                out["numeric"].append((path, x, y))
        elif x != y:
            out["text"].append((path, x, y))
    return out


def cited_difference(old: dict, new: dict) -> tuple[list, list]:
    """Cited (path, text) pairs only in the old, only in the new results."""
    a = {tuple(x) for x in old.get("cited", [])}
    b = {tuple(x) for x in new.get("cited", [])}
    return sorted(a - b), sorted(b - a)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--ignore", default=",".join(DEFAULT_IGNORE), help="comma-separated key names to skip")
    parser.add_argument("--all", action="store_true", help="also list text and one-sided paths in full")
    args = parser.parse_args(argv)
    old, new = (json.load(open(p)) for p in (args.old, args.new))
    diff = compare(old, new, tuple(x for x in args.ignore.split(",") if x))
    print(f"numeric leaves that differ: {len(diff['numeric'])}")
    for path, x, y in diff["numeric"]:
        print(f"  {path}: {x!r} -> {y!r}")
    limit = None if args.all else 20
    for key in ("text", "only_old", "only_new"):
        items = diff[key]
        print(f"{key}: {len(items)}")
        for item in items[:limit]:
            print("  " + (f"{item[0]}: {item[1]!r} -> {item[2]!r}" if isinstance(item, tuple) else item))
    gone, added = cited_difference(old, new)
    print(f"cited numbers only in old: {len(gone)}, only in new: {len(added)}")
    for item in gone[:limit]:
        print(f"  - {item}")
    for item in added[:limit]:
        print(f"  + {item}")
    return 1 if diff["numeric"] else 0


if __name__ == "__main__":
    sys.exit(main())
