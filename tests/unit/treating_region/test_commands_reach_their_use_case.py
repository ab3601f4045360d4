"""Every transaction the gateway serves is read by an input model whose command is the one its
use case takes: a model that forgets its ``to_command`` would otherwise be found only at run
time (E9003 stored as the hospital's answer)."""

from __future__ import annotations

import inspect
from typing import get_type_hints

import pytest

from services.treating_region.entrypoints.schemas import INPUT_MODELS
from services.treating_region.service_layer import commands
from services.treating_region.service_layer.handlers import HANDLERS


def test_every_served_infno_has_an_input_model_and_every_model_a_use_case() -> None:
    assert set(HANDLERS) == set(INPUT_MODELS)


@pytest.mark.parametrize("infno", sorted(HANDLERS))
def test_the_models_command_is_the_one_its_use_case_takes(infno: str) -> None:
    takes = inspect.getclosurevars(HANDLERS[infno]).nonlocals["kind"]
    gives = get_type_hints(INPUT_MODELS[infno].to_command)["return"]
    if gives == commands.Command:  # not overridden: the transaction is relayed as sent
        gives = commands.Relay
    assert isinstance(gives, type)
    assert issubclass(gives, takes), f"{infno}: the model gives {gives}, the use case takes {takes}"
