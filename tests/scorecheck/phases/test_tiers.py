"""Issue 12's search: the input model, each near mutation, the hostile changes, severity per tier, the scaling
check (on a linear-cost and a step-slowdown fake server) and --input-schema. In process, no server."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, List

import pytest

from scorecheck.cli.main import build_parser
from scorecheck.config import ConfigError, build_config
from scorecheck.model import FilePart, RequestSpec
from scorecheck.phases.checks import (
    FAILURE,
    HOSTILE,
    NEAR,
    SCHEMA,
    WARNING,
    CheckContext,
    Exchange,
    Scaling,
    select_checks,
)
from scorecheck.phases.hostile import structural_changes, upload_probes, value_changes
from scorecheck.phases.inputmodel import apply_schema, from_bodies, values_at
from scorecheck.phases.near import Near, key_mutations, ladder, number_values, single_row, string_values
from scorecheck.phases.schemas import infer_schema, validator
from scorecheck.phases.search import Budget, Search, SearchSettings
from tests.scorecheck.phases.test_checks import _fails, _obs

BODIES = [
    {"items": [{"price": 10.0, "qty": 2}], "currency": "USD"},
    {"items": [{"price": 4.5, "qty": 1}, {"price": 100.0, "qty": 3}], "currency": "GBP", "coupon": "VIP"},
    {"items": [{"price": 7.25, "qty": 5}]},
]


# -- the input model ------------------------------------------------------------------------------------------------


def test_the_input_model_from_fixtures() -> None:
    model = from_bodies(BODIES)
    root, items = model.paths["$"], model.paths["$.items"]
    assert sorted(root.required()) == ["items"]
    assert sorted(root.optional()) == ["coupon", "currency"]
    assert items.batch
    assert items.largest == 2
    price = model.paths["$.items[*].price"]
    assert (price.kinds, price.minimum, price.maximum, price.integral) == ({"float"}, 4.5, 100.0, False)
    qty = model.paths["$.items[*].qty"]
    assert (qty.kinds, qty.integral) == ({"int"}, True)
    currency = model.paths["$.currency"]
    assert currency.strings == ["USD", "GBP"]
    assert currency.enum_like
    assert model.batches() == ["$.items"]
    assert model.items_of(json.dumps({"items": [{}] * 7}).encode()) == 7
    assert model.items_of(b"not json") is None


def test_fixed_width_rows_and_the_top_level_data_list() -> None:
    model = from_bodies([{"data": [[1, 2, 3]]}])
    assert model.paths["$.data"].batch  # one fixture: the top-level data list is still the batch
    assert model.paths["$.data[*]"].fixed_width == 3
    assert not model.paths["$.data[*]"].batch


def test_a_declared_schema_replaces_inference() -> None:
    model = from_bodies([{"data": [[1, 2]], "mode": "fast"}])
    schema = {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2}},
            "mode": {"enum": ["fast", "exact"]},
        },
    }
    apply_schema(model, schema)
    assert model.declared
    assert model.paths["$"].optional() == ["mode"]  # every fixture sent it, the schema says optional
    assert model.paths["$.mode"].strings == ["fast", "exact"]
    assert model.paths["$.data[*]"].fixed_width == 2


# -- near mutations ---------------------------------------------------------------------------------------------


def test_numbers_go_to_boundaries_flips_scales_and_mid_values() -> None:
    model = from_bodies(BODIES)
    price = model.paths["$.items[*].price"]
    values = number_values(10.0, price)
    for expected in (0.0, 1.0, -1.0, 4.5, 100.0, -10.0, 1.0, 52.25):
        assert expected in values
    assert 10.0 not in values
    qty = model.paths["$.items[*].qty"]
    assert all(isinstance(v, int) for v in number_values(2, qty))  # whole numbers stay whole
    assert 20 in number_values(2, qty)
    assert 0 in number_values(2, qty)


def test_strings_go_to_empty_the_longest_and_another_observed_value() -> None:
    model = from_bodies(BODIES)
    assert string_values("USD", model.paths["$.currency"]) == ["", "GBP"]


def test_optional_keys_are_dropped_or_added_with_an_observed_value() -> None:
    model = from_bodies(BODIES)
    plain = BODIES[2]
    added = {name: mutate(plain) for name, mutate in key_mutations(model, plain, (), "$")}
    assert added["add coupon"] == {**plain, "coupon": "VIP"}
    assert added["add currency"]["currency"] in ("USD", "GBP")
    dropped = {name: mutate(BODIES[1]) for name, mutate in key_mutations(model, BODIES[1], (), "$")}
    assert "currency" not in dropped["drop currency"]
    assert dropped["drop currency"]["coupon"] == "VIP"


def test_the_batch_ladder_and_single_rows() -> None:
    model = from_bodies(BODIES)
    assert ladder(model, "$.items", None) == [0, 1, 4, 8, 16, 32, 64, 128, 200]
    assert ladder(model, "$.items", 10) == [0, 1, 4, 8, 10]
    cut, where = single_row(model, BODIES[1], ("items", 1, "price"))
    assert cut["items"] == [{"price": 100.0, "qty": 3}]
    assert where == ("items", 0, "price")


def test_the_sweep_holds_every_single_mutation_small_ones_first() -> None:
    near = Near(from_bodies(BODIES), "/score")
    probes = near.sweep()
    bodies = [json.loads(p.request.body or b"") for p in probes]
    assert bodies[0]["items"] == []  # the empty batch first
    assert any("coupon" in b and "currency" not in b for b in bodies)  # a combination no fixture shows
    assert any(b["items"] == [{"price": 0.0, "qty": 2}] for b in bodies)  # a zero on one row
    ladder_sizes = [len(b["items"]) for b, p in zip(bodies, probes) if p.group]
    assert ladder_sizes == [4, 8, 16, 32, 64, 128, 200]  # last, climbing


# -- hostile changes ------------------------------------------------------------------------------------------------


def test_hostile_changes_break_structure_types_and_magnitudes() -> None:
    model = from_bodies([{"data": [[1.0, 2.0]], "mode": "fast"}, {"data": [[3.0, 4.0]], "mode": "x"}])
    body = {"data": [[1.0, 2.0]], "mode": "fast"}
    structural = structural_changes(model, body)
    assert {"data": [[1.0]], "mode": "fast"} in structural  # a row one narrower
    assert {"data": [[1.0, 2.0, 2.0]], "mode": "fast"} in structural  # one wider
    assert {"mode": "fast"} in structural  # a required key removed
    values = value_changes(body)
    assert {"data": [["text", 2.0]], "mode": "fast"} in values
    assert any(v["data"][0][0] == 1.7976931348623157e308 for v in values)
    assert any(len(str(v["mode"])) >= 100_000 for v in values)


# -- severity by tier ---------------------------------------------------------------------------------------------

CONVERSION = (
    "2026-11-21 04:48:29,449 W [77] azmlinfsrv - run() was not entered: inference-schema could not convert "
    "the request body (ValueError: Invalid input array: an array with 2 dimensions is expected). Production "
    "answers 500 for this body too."
)


@pytest.mark.parametrize(("tier", "severity"), [(NEAR, FAILURE), (SCHEMA, FAILURE), (HOSTILE, WARNING)])
def test_a_5xx_and_a_bare_nan_fail_on_client_tiers_and_warn_on_hostile(tier: str, severity: str) -> None:
    ex = Exchange(tier, RequestSpec(), _obs(500, b'{"message": "boom"}'))
    check = "malformed_input_rejected" if tier == HOSTILE else "not_a_server_error"
    failure = _fails(check, ex)
    assert failure is not None
    assert failure.severity == severity
    nan = _fails("valid_json", Exchange(tier, RequestSpec(), _obs(200, b"[NaN]")))
    assert nan is not None
    assert nan.severity == severity


def test_hostile_severity_failure_tightens_and_a_dead_worker_fails_on_every_tier() -> None:
    strict = CheckContext(hostile_severity=FAILURE)
    failure = _fails("malformed_input_rejected", Exchange(HOSTILE, RequestSpec(), _obs(500)), strict)
    assert failure is not None
    assert failure.severity == FAILURE
    for tier in (NEAR, SCHEMA, HOSTILE):
        dead = _fails("server_survives", Exchange(tier, RequestSpec(), None, "connection reset"))
        assert dead is not None
        assert dead.severity == FAILURE


@pytest.mark.parametrize("tier", [NEAR, SCHEMA, HOSTILE])
def test_inference_schemas_own_conversion_error_is_a_warning_on_every_tier(tier: str) -> None:
    ex = Exchange(tier, RequestSpec(), _obs(500), log_lines=(CONVERSION,))
    check = "malformed_input_rejected" if tier == HOSTILE else "not_a_server_error"
    failure = _fails(check, ex, CheckContext(hostile_severity=FAILURE))
    assert failure is not None
    assert (failure.kind, failure.severity) == ("ConversionError", WARNING)
    assert "an array with 2 dimensions is expected" in failure.message
    assert "no change to run() prevents it" in failure.message


def test_an_inferred_output_schema_allows_null_for_numbers() -> None:
    schema = infer_schema([{"rates": [0.5, 0.25], "total": 3}])
    assert schema is not None
    assert validator(schema).is_valid({"rates": [None, 0.1], "total": None})
    assert not validator(schema).is_valid({"rates": ["n/a"], "total": 1})


# -- the scaling check ----------------------------------------------------------------------------------------------


class Timed:
    """A fake server: 200 for `{"data": [...]}`, with a latency that is a function of the batch size."""

    def __init__(self, cost_ms: Any) -> None:
        self.cost_ms = cost_ms
        self.sizes: List[int] = []
        self.budget = Budget()  # no time limit of its own, as a Sender made without one

    def exchange(self, kind: str, request: RequestSpec) -> Exchange:
        size = len(json.loads(request.body or b"{}").get("data", []))
        self.sizes.append(size)
        return Exchange(kind, request, _obs(200, b'{"y": [1.0]}', ms=self.cost_ms(size)))


def _scaled_search(cost_ms: Any) -> Any:
    model = from_bodies([{"data": [[1, 2]] * 8}, {"data": [[3, 4]]}])
    near = Near(model, "/score")
    scaling = Scaling(base_ms=9.0, per_item_ms=1.0, items_of=model.items_of)
    context = CheckContext(max_latency_ms=1000.0, scaling=scaling)
    settings = SearchSettings(1, max_examples=40, max_time=60.0, shrink_time=5.0)
    sender = Timed(cost_ms)
    result = Search(
        {NEAR: near.strategy()},
        select_checks(("latency",)),
        context,
        sender,
        settings,
        sweep=near.sweep(),  # type: ignore[arg-type]
    ).run()
    return result, sender, scaling


def test_a_linear_cost_is_not_blamed_for_being_linear() -> None:
    result, sender, scaling = _scaled_search(lambda n: 1.0 + 1.3 * n)
    assert max(sender.sizes) == 800  # the ladder reached 100x the largest fixture batch: 1000+ ms there
    assert result.findings["latency"].failures == 0
    assert scaling.curve[800] > 1000


def test_a_step_slowdown_is_flagged_with_the_measured_curve() -> None:
    result, sender, _ = _scaled_search(lambda n: 2.0 if n <= 32 else 3000.0)
    finding = result.findings["latency"]
    assert finding.failures >= 1
    failure = finding.candidates()[0][1]
    assert "a batch of 64 item(s)" in failure.message
    assert "linear extrapolation" in failure.message
    assert "32: 2 ms" in failure.message
    assert 128 not in sender.sizes  # the ladder stops climbing at the first slow rung


# -- --input-schema ---------------------------------------------------------------------------------------------


def _config(tmp_path: Path, *flags: str) -> Any:
    args: argparse.Namespace = build_parser().parse_args(["run", "score.py", "cases", *flags])
    return build_config(args, cwd=tmp_path)


def test_input_schema_flag_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "input.json"
    good.write_text('{"type": "object", "properties": {"data": {"type": "array"}}}')
    assert _config(tmp_path, "--input-schema", str(good)).input_schema == str(good)
    with pytest.raises(ConfigError, match="cannot read"):
        _config(tmp_path, "--input-schema", str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="is not JSON"):
        _config(tmp_path, "--input-schema", str(bad))
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"type": 12}')
    with pytest.raises(ConfigError, match="not a valid JSON Schema"):
        _config(tmp_path, "--input-schema", str(wrong))
    config = _config(tmp_path, "--hostile-severity", "failure", "--max-batch", "50")
    assert (config.hostile_severity, config.max_batch) == ("failure", 50)
    assert _config(tmp_path, "--malformed-severity", "failure").hostile_severity == "failure"


def test_values_at_follows_paths_through_lists() -> None:
    assert list(values_at(BODIES[1], "$.items[*].qty")) == [1, 3]


def test_uploads_are_cut_short_in_the_sweep() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8 + b"IHDR"
    upload = RequestSpec(files=(FilePart("image", "a.png", png, "image/png"),), body_source="form")
    binary = RequestSpec(headers=(("Content-Type", "image/png"),), body=png, body_source="body_base64")
    probes = upload_probes(Near(from_bodies([]), "/score", raw=[upload, binary]))
    assert {probe.tier for probe in probes} == {HOSTILE}
    assert [p.request.files[0].content for p in probes[:3]] == [b"", png[:10], png[:8]]
    assert [p.request.body for p in probes[3:]] == [b"", png[:10], png[:8]]
    assert all(p.request.files[0].content_type == "image/png" for p in probes[:3])
