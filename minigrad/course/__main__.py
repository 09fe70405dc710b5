"""``python -m minigrad.course check 7 | check 7.2 | check all | status [--exercises DIR]``.

``check`` grades the named exercises against torch, prints a report for each
and saves the results in ``DIR/.progress.json``; it exits with 0 when every
checked exercise passed and 1 otherwise.  ``status`` prints the saved progress.
"""
from __future__ import annotations

import argparse
import sys

from .checker import load_progress, run_exercise, save_progress
from .registry import EXERCISES, select


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigrad.course",
                                     description="Check your course exercises against PyTorch.")
    parser.add_argument("--exercises", default="exercises", metavar="DIR",
                        help="the folder holding your chNN_*.py files (default: ./exercises)")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check a chapter (7), an exercise (7.2) or all")
    check.add_argument("which", help="a chapter number, an exercise number, or 'all'")
    check.add_argument("--exercises", default=argparse.SUPPRESS, metavar="DIR", help=argparse.SUPPRESS)
    status = commands.add_parser("status", help="show which exercises passed so far")
    status.add_argument("--exercises", default=argparse.SUPPRESS, metavar="DIR", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)

    if arguments.command == "status":
        print_status(arguments.exercises)
        return 0
    try:
        chosen = select(arguments.which)
    except ValueError as error:
        parser.error(str(error))
    results, status = [], {}
    for exercise in chosen:
        result = run_exercise(exercise, arguments.exercises)
        status[exercise.key] = result.status
        failing = [key for key in exercise.uses if status.get(key, "passed") != "passed"]
        if failing and result.status in ("failed", "error"):
            result.report += (f"\nnote: this exercise calls your {', '.join(failing)}, which does not pass "
                              "yet: fix that first")
        print(result, flush=True)
        results.append(result)
    save_progress(arguments.exercises, results)
    passed = sum(result.status == "passed" for result in results)
    print(f"\n{passed} of {len(results)} passed")
    return 0 if passed == len(results) else 1


def print_status(directory):
    progress = load_progress(directory)
    done = 0
    for exercise in EXERCISES:
        status = progress.get(exercise.key, {}).get("status", "not checked")
        done += status == "passed"
        print(f"{exercise.key:>5}  {status:<12} {exercise.title}")
    print(f"\n{done} of {len(EXERCISES)} passed")


if __name__ == "__main__":
    sys.exit(main())
