"""The model registry and ``extends``: a wrapper model states its inputs exactly."""

from __future__ import annotations

import pytest

from mcrisk import SpecError
from mcrisk.models import extends, maas, model_inputs
from mcrisk.simulate import check_inputs


@extends(maas, "fleet_nodes")
def _fleet(*, fleet_nodes, **inputs):
    out = maas(**inputs)
    return {**out, "spare_nodes": fleet_nodes - out["nodes_provisioned"]}


def test_extends_adds_required_inputs_in_front_of_the_base_signature():
    required, optional, anykw = model_inputs(_fleet)
    base_required, base_optional, _ = model_inputs(maas)
    assert required == ["fleet_nodes", *base_required]
    assert optional == base_optional and not anykw


def test_a_wrapper_without_its_extra_input_is_named_in_the_error():
    names = model_inputs(maas)[0]
    with pytest.raises(SpecError, match=r"^s.toml: model .*_fleet needs fleet_nodes, which no prior or input gives$"):
        check_inputs(_fleet, names, where="s.toml")
    with pytest.raises(SpecError, match=r"^s.toml: fleet_size is not an input of model .*_fleet; its inputs: "
                                        r"fleet_nodes, input_tokens, "):
        check_inputs(_fleet, [*names, "fleet_nodes", "fleet_size"], where="s.toml")


def test_the_wrapper_computes_from_maas():
    out = _fleet(fleet_nodes=400.0, input_tokens=0.0, output_tokens=86_400 * 1000.0 * 100,
                 prefill_tps_per_node=1.0, decode_tps_per_node=1000.0, gpu_hour_price=2.0,
                 peak_to_avg=2.0, price_input_miss=0.0, price_output=1.0)
    # 100 busy nodes on average, 200 at the peak: 200 spare of 400.
    assert float(out["spare_nodes"]) == pytest.approx(200.0)
