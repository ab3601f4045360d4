from __future__ import annotations

import argparse
import sys

from sim import session


def main() -> None:
    parser = argparse.ArgumentParser(prog="relay-sim", description="Simulated hospitals")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("session", help="a short scripted hospital session through the relay")
    args = parser.parse_args()
    if args.command in (None, "session"):
        sys.exit(session.main())
    parser.error(f"unknown command {args.command}")


if __name__ == "__main__":
    main()
