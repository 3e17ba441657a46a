"""``python -m radiuscnn.verify.registry --markdown``: print the README's claims table."""

import argparse
import sys

from radiuscnn.verify.registry import CLAIMS, markdown_table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m radiuscnn.verify.registry",
                                     description="The claim registry of radiuscnn.")
    parser.add_argument("--markdown", action="store_true", help="print the README's claims table")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown_table())
    else:
        for c in CLAIMS:
            print(f"{c.id}  {c.title}  (THEORY section {c.theory})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
