"""Command line: ``python3 -m dcsim_analysis plot RESULT.h5 [-o DIR]`` and friends.

    plot RESULT.h5|INDEX.h5 [-o DIR]   write the standard PNG set, print the files written
    plot RESULT.h5 --png FILE.png      write only the facility power plot, to FILE.png
    summary RESULT.h5                  print the run summary
    compare RESULT.h5 ... | DIR        print the headline numbers of several runs side by side

Exit code 0 on success, 2 on a usage error, 1 when an input is missing or not a complete
dcsim result (the message names the file), 3 when a PNG cannot be written (disk full, I/O
error; the message names the file and the cause, and no partial PNG is left).
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m dcsim_analysis",
                                     description="Read and plot dcsim result files.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_plot = sub.add_parser("plot", help="write the standard PNG plots of a run or sweep index")
    p_plot.add_argument("result", help="result file (.h5) or sweep index file")
    p_plot.add_argument("-o", "--outdir", default=None,
                        help="directory for the PNGs (default: next to the result)")
    p_plot.add_argument("--png", default=None,
                        help="write only the facility power plot, to this file")
    p_sum = sub.add_parser("summary", help="print the run summary")
    p_sum.add_argument("result")
    p_cmp = sub.add_parser("compare", help="print headline numbers of several runs")
    p_cmp.add_argument("results", nargs="+", help="result files, a directory or a sweep index")
    args = parser.parse_args(argv)

    from . import io, metrics, plots  # imported late so --help is fast

    try:
        if args.command == "plot" and args.png:
            print(plots.save_png(plots.plot_power_stack(args.result), args.png))
        elif args.command == "plot":
            for path in plots.plot_standard_set(args.result, args.outdir):
                print(path)
        elif args.command == "summary":
            s = io.summary(args.result)
            print(s.to_string())
        elif args.command == "compare":
            runs = args.results[0] if len(args.results) == 1 else args.results
            import pandas as pd

            with pd.option_context("display.width", 160, "display.max_columns", 20):
                print(metrics.compare(runs).drop(columns=["file"], errors="ignore").to_string())
    except plots.WriteError as e:
        print(f"dcsim_analysis {args.command}: error: {e}", file=sys.stderr)
        return 3
    except (FileNotFoundError, io.IncompleteResultError, io.SchemaError, ValueError) as e:
        print(f"dcsim_analysis {args.command}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
