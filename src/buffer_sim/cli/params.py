"""``buffer-sim params``: every model coefficient with its unit, range and meaning."""

from __future__ import annotations

import textwrap

from buffer_sim.cli.common import PROG, width
from buffer_sim.core.params import Parameters


def register(sub, _Fmt) -> None:
    prm = sub.add_parser(
        "params", formatter_class=_Fmt, help="show every model parameter",
        description="Show every coefficient of the model: name, default, unit, admissible "
                    "range\nand meaning (with its source).",
        epilog=f"example:\n  {PROG} params | less\n  {PROG} run --set parameters.inertia=2"
               "   # change one for a run")
    prm.set_defaults(func=handler)

def _fmt_number(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def handler(args, argv) -> int:
    rows = Parameters.describe()
    columns = width()
    name_w = max(len("NAME"), *(len(r["name"]) for r in rows))
    default_w = max(len("DEFAULT"), *(len(_fmt_number(r["default"])) for r in rows))
    print(f"{'NAME':<{name_w}}  {'DEFAULT':>{default_w}}  UNIT [RANGE]")
    print(f"{'':4}MEANING\n")
    for r in rows:
        lo, hi = r.get("range", (None, None))
        rng = f" [{_fmt_number(lo)}, {_fmt_number(hi)}]" if lo is not None else ""
        print(f"{r['name']:<{name_w}}  {_fmt_number(r['default']):>{default_w}}  "
              f"{r.get('unit', '')}{rng}")
        print(textwrap.fill(" ".join(str(r.get("doc", "")).split()), columns,
                            initial_indent="    ", subsequent_indent="    "))
    print(f"\nChange one for a run with:  {PROG} run --set parameters.NAME=VALUE  "
          "(or under parameters: in a scenario file)")
    return 0
