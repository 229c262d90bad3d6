"""Alias of `minhu check-aggregates`."""

from importlib import import_module

Command = import_module("minhu.evaluation.management.commands.check-aggregates").Command
