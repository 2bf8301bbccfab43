#!/usr/bin/env python3
"""Print the requirements among the arguments that this Python does not satisfy.

    tools/pip_missing.py numpy pytest pydynet==1.1    ->  "pydynet==1.1" if pydynet is absent
                                                          or has another version

Only plain names and `name==version` are understood; `make setup` passes the result to pip.
"""
import sys
from importlib import metadata


def satisfied(requirement: str) -> bool:
    name, _, version = requirement.partition("==")
    try:
        installed = metadata.version(name.strip())
    except metadata.PackageNotFoundError:
        return False
    return not version or installed == version.strip()


if __name__ == "__main__":
    print(" ".join(r for r in sys.argv[1:] if not satisfied(r)))
