"""The benchmark's profile summary (bench.profile): py-spy's collapsed stacks summed by the
area and function on CPU, and by the project's functions on the stack."""

from __future__ import annotations

import pytest

from bench.profile import LOOP_AREA, NATIVE, area, summarize

HEAD = (  # as py-spy writes a service's stack: start-up, then the loop
    "_run_module_as_main (<frozen runpy>:198);_run_code (<frozen runpy>:88);"
    "<module> (services/insured_region/__main__.py:20);serve (shared/web.py:284);"
    "Runner.run (asyncio/runners.py:118)"
)
SETTLE = "settle (services/insured_region/service_layer/settle.py:40)"
RAW = "\n".join(
    [
        f"{HEAD};{SETTLE};calculate (services/insured_region/domain/policy.py:88) 5",
        f"{HEAD};{SETTLE};_execute (asyncpg/connection.py:1795) 3",
        f"{HEAD} 1",
        # read part-way: the loop and the start-up are missing
        "calculate (services/insured_region/domain/policy.py:88) 1",
        " 2",  # no Python frame at all
        "",
    ]
)


def test_the_samples_are_summed_by_area_function_and_the_project_functions_the_loop_runs() -> None:
    summary = summarize(RAW)
    assert summary["samples"] == 12
    assert summary["partial_stacks"] == round(1 / 12, 3)
    assert summary["self_by_area"] == [
        ["services/insured_region/domain", 0.5],
        ["asyncpg", 0.25],
        [NATIVE, 0.167],
        [LOOP_AREA, 0.083],
    ]
    assert summary["self_by_function"][0] == [
        "calculate (services/insured_region/domain/policy.py)",
        0.5,
    ]
    # the start-up's own frames (<module>, serve) are below the loop: not work
    assert summary["under_own_function"] == [
        ["settle (services/insured_region/service_layer/settle.py)", round(8 / 12, 3)],
        ["calculate (services/insured_region/domain/policy.py)", 0.5],
    ]


def test_an_empty_profile_has_no_shares() -> None:
    assert summarize("") == {
        "samples": 0,
        "partial_stacks": 0.0,
        "self_by_area": [],
        "self_by_function": [],
        "under_own_function": [],
    }


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("services/national_hub/adapters/journal.py", "services/national_hub/adapters"),
        ("shared/envelope.py", "shared/envelope.py"),
        ("aio_pika/channel.py", "aio_pika"),
        ("json/__init__.py", "json"),
        ("threading.py", "threading"),
        ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap>"),
        ("", "(native)"),
    ],
)
def test_a_frame_s_area(file: str, expected: str) -> None:
    assert area(file) == expected
