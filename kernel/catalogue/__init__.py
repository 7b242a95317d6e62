"""The asset class catalogue: every part reads classes from here and names none in code."""

from typing import Annotated

from pydantic import AfterValidator

from kernel.catalogue.load import (
    ENV_DIRS,
    SHIPPED,
    Catalogue,
    active_catalogue,
    known_class,
    load_catalogue,
)
from kernel.catalogue.schema import AssetClassDef, FailureMode, PmRuleDef, SignalDef
from kernel.contract import Identifier

ClassName = Annotated[Identifier, AfterValidator(known_class)]

__all__ = [
    "ENV_DIRS",
    "SHIPPED",
    "AssetClassDef",
    "Catalogue",
    "ClassName",
    "FailureMode",
    "PmRuleDef",
    "SignalDef",
    "active_catalogue",
    "known_class",
    "load_catalogue",
]
