"""`uring-granian` / `python -m uring_granian`: the command line, derived from the options declared in config.py."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from .config import Config, ConfigError, Kind, Option, help_groups, options, plain
from .constants import EXIT_FAILURE, EXIT_USAGE
from .errors import ONE_LINE_ERRORS

__all__ = ["PROG", "build_parser", "main", "parse_config"]

PROG = "uring-granian"


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line (the full usage of this many options would bury the message)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=PROG,
        description="Serve an ASGI or WSGI application on the uring_granian io_uring HTTP engine.",
        argument_default=argparse.SUPPRESS,  # absent options keep Config's defaults
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    group_of: dict[str, argparse._ArgumentGroup] = {}
    for title, names in help_groups().items():
        group = parser.add_argument_group(title)
        group_of.update(dict.fromkeys(names, group))
    for f, opt in options():
        _add_option(group_of.get(f.name, parser), f, opt)
    return parser


def _add_option(parser: argparse._ActionsContainer, f: dataclasses.Field[Any], opt: Option) -> None:
    flags = opt.flags or ("--" + f.name.replace("_", "-"),)
    help_text = opt.help.replace("%", "%%")  # argparse expands %(...)s in help
    if f.default is not None and not flags[0].isupper():
        shown = oct(f.default) if opt.kind is Kind.OCTAL else plain(f.default)
        help_text += f" [default: {shown}]"
    if not flags[0].startswith("-"):
        parser.add_argument(f.name, metavar=opt.metavar or flags[0], help=help_text)
    elif opt.kind is Kind.LIST:
        parser.add_argument(*flags, dest=f.name, action="append", metavar=opt.metavar, help=help_text)
    elif opt.kind is Kind.BOOL:
        parser.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, help=help_text)
    else:
        parser.add_argument(
            *flags, dest=f.name, type=opt.parser, choices=opt.choices, metavar=opt.metavar, help=help_text
        )


def parse_config(argv: Sequence[str] | None = None) -> Config:
    """Command line -> validated Config; bad usage exits with status 2 and one line."""
    parser = build_parser()
    namespace = parser.parse_args(argv)
    try:
        return Config.from_options(**vars(namespace)).validate()
    except ConfigError as exc:
        parser.error(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    config = parse_config(argv)
    from .main import run  # after parsing: `--help` stays fast

    try:
        return run(config)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ONE_LINE_ERRORS as exc:
        return _fail(str(exc), EXIT_FAILURE)


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return status
