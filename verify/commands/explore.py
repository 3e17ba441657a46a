"""`radiuscnn explore` (not yet built)."""


def register(sub) -> None:
    p = sub.add_parser("explore", help="(not yet available)")
    p.set_defaults(run=lambda args: print("radiuscnn explore: not yet available") or 1)
