"""`uring-granian` / `python -m uring_granian`: the command line, derived from the options declared in config.py."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from . import __version__
from .config import Config, ConfigError, Kind, Option, flag_of, help_groups, options, plain
from .constants import EXIT_FAILURE, EXIT_USAGE
from .errors import ONE_LINE_ERRORS

__all__ = ["ENV_PREFIX", "PROG", "build_parser", "env_name", "main", "parse_config"]

PROG = "uring-granian"
# Every option can also come from URING_GRANIAN_<LONG_NAME> (Granian's GRANIAN_*); the command line wins.
ENV_PREFIX = "URING_GRANIAN_"
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


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
        shown = oct(f.default) if opt.kind is Kind.OCTAL and isinstance(f.default, int) else plain(f.default)
        help_text += f" [default: {shown}]"
    help_text += f" [env: {env_name(f.name)}]"
    if not flags[0].startswith("-"):
        # Optional here so that it may come from the environment; parse_config says when it is missing.
        parser.add_argument(f.name, metavar=opt.metavar or flags[0], nargs="?", help=help_text)
    elif opt.kind is Kind.LIST:
        parser.add_argument(*flags, dest=f.name, action="append", metavar=opt.metavar, help=help_text)
    elif opt.kind is Kind.BOOL:
        parser.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, help=help_text)
    else:
        parser.add_argument(
            *flags, dest=f.name, type=opt.parser, choices=opt.choices, metavar=opt.metavar, help=help_text
        )




def env_name(name: str) -> str:
    """The environment variable of a Config field: its long option name, upper-case, '-' as '_'."""
    return ENV_PREFIX + flag_of(name).lstrip("-").upper().replace("-", "_")


def parse_config(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Command line, then URING_GRANIAN_* variables, then defaults -> validated Config; bad usage exits with status 2
    and one line (naming the variable when the bad value came from the environment)."""
    parser = build_parser()
    given = {name: value for name, value in vars(parser.parse_args(argv)).items() if value is not None}
    from_env: dict[str, str] = {}  # field name -> variable, for the options the environment gave
    for f, opt in options():
        variable = env_name(f.name)
        text = (os.environ if environ is None else environ).get(variable)
        if f.name in given or text is None:
            continue
        try:
            given[f.name] = _from_env(opt, text)
        except ValueError as exc:
            parser.error(f"{variable}: {exc}")
        from_env[f.name] = variable
    if "app" not in given:
        parser.error(f"the following arguments are required: APP (or {env_name('app')})")
    try:
        return Config.from_options(**given).validate()
    except ConfigError as exc:
        parser.error(_naming_the_variable(str(exc), from_env))


def _from_env(opt: Option, text: str) -> Any:
    """An environment value -> the option's value, as the command line would parse it; ValueError when bad."""
    if opt.kind is Kind.BOOL:
        word = text.strip().lower()
        if word not in _TRUE + _FALSE:
            raise ValueError(f"expected one of {'/'.join(_TRUE + _FALSE)}, got {text!r}")
        return word in _TRUE
    if opt.kind is Kind.LIST:
        # Several values as PATH spells them: separated by ':'.
        return tuple(item for item in text.split(os.pathsep) if item)
    value = text.strip()
    try:
        parsed = opt.parser(value)
    except ValueError:
        raise ValueError(f"invalid {opt.parser.__name__} value: {text!r}") from None
    if opt.choices is not None and parsed not in opt.choices:
        raise ValueError(f"invalid choice {text!r} (choose from {', '.join(opt.choices)})")
    return parsed


def _naming_the_variable(message: str, from_env: Mapping[str, str]) -> str:
    """A ConfigError about an option the environment gave: say which variable (the message names the flag)."""
    for name, variable in from_env.items():
        flag = flag_of(name)
        if message.startswith((flag + " ", flag + ":")):
            return f"{variable}: {message}"
    return message


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
