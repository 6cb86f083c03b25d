"""A range answer's body read into arrays: the fast way (each `values` array cut out and
converted by numpy) gives what the slow way (json, an object per sample) gives, and falls back
to it for anything that is not exactly Prometheus's shape."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.query.decode import Answer, NotAnswer, _fast, _slow, read_answer
from pipeline.query.grid import Malformed

PROMETHEUS = dict(separators=(",", ":"))  # Prometheus writes no spaces


def _body(result: object, warnings: list[str] | None = None, **shape: object) -> bytes:
    document: dict[str, object] = {
        "status": "success",
        "data": {"resultType": "matrix", "result": result},
    }
    if warnings:
        document["warnings"] = warnings
    return json.dumps(document, **({**PROMETHEUS, **shape} if shape else PROMETHEUS)).encode()


def _same(a: Answer, b: Answer) -> None:
    assert a.warnings == b.warnings
    assert [s[0] for s in a.series] == [s[0] for s in b.series]
    for (_, at, av), (_, bt, bv) in zip(a.series, b.series, strict=True):
        np.testing.assert_array_equal(at, bt)
        np.testing.assert_array_equal(av, bv)


def test_the_fast_way_reads_prometheus_answers_as_json_does() -> None:
    result = [
        {"metric": {"job": "a"}, "values": [[1793577600, "1.5"], [1793577660.25, "NaN"]]},
        {"metric": {}, "values": [[1793577600, "+Inf"], [1793577660, "-Inf"], [1, "1e-3"]]},
        {"metric": {"job": "empty"}, "values": []},
    ]
    body = _body(result, warnings=["partial answer"])
    fast = _fast(body)
    assert fast is not None  # the cut checked out
    _same(fast, _slow(body))
    assert fast.warnings == ("partial answer",)
    (_, ts, vs), (_, _, inf), _ = fast.series
    assert ts.tolist() == [1793577600, 1793577660.25]
    assert np.isnan(vs[1]) and inf.tolist() == [np.inf, -np.inf, 0.001]


def test_hostile_labels_do_not_move_the_cut() -> None:
    tricky = ['"values":[[1,"2"]]', "]]", '\\"values\\":[', '[,""]', "values"]
    result = [
        {"metric": {"k": text, "values": text}, "values": [[10 + i, f"{i}"]]}
        for i, text in enumerate(tricky)
    ]
    body = _body(result)
    answer = read_answer(body)
    assert [dict(labels)["k"] for labels, _, _ in answer.series] == tricky
    assert [vs.tolist() for _, _, vs in answer.series] == [[float(i)] for i in range(5)]
    _same(answer, _slow(body))


@pytest.mark.parametrize(
    "values",
    [
        [[1, 2]],  # a number, not a string: accepted, the slow way
        [[1, " 2"]],
        [["1", "2"]],
        [[1, "1_000"]],  # Python's float reads it
        [[1, "2", 3]],  # only the first two count
        [[1, "2"], [3, "4"]],
    ],
)
def test_other_shapes_that_json_accepts_give_the_same_answer(values: list[object]) -> None:
    body = _body([{"metric": {"a": "b"}, "values": values}], indent=1)  # spaces: the slow way
    _same(read_answer(body), _slow(body))
    compact = _body([{"metric": {"a": "b"}, "values": values}])
    _same(read_answer(compact), _slow(compact))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([[1, "2"], [3, "abc"]], "sample 2 of series {a=\"b\"} is not a number: 'abc'"),
        ([[1, "2"], [3]], 'sample 2 of series {a="b"} is not a [time, value] pair'),
        ([[True, "2"]], 'sample 1 of series {a="b"} is not a time: True'),
        ([[1, "fan"]], "sample 1 of series {a=\"b\"} is not a number: 'fan'"),
        ([[1, ""]], "sample 1 of series {a=\"b\"} is not a number: ''"),
        (None, 'the values of series {a="b"} are not a list: None'),
    ],
)
def test_unreadable_samples_are_named(values: object, message: str) -> None:
    with pytest.raises(Malformed) as caught:
        read_answer(_body([{"metric": {"a": "b"}, "values": values}]))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "body",
    [
        b"<html>busy</html>",
        b"",
        b'{"status":"error","errorType":"bad_data","error":"x"}',
        b'{"status":"success","data":{}}',
        b'{"status":"success"}',
        b'["status","success"]',
        b'{"status":"success","data":{"result":[{"metric":{},"values":[[1,"2"]]}]}',  # cut short
    ],
)
def test_what_is_not_a_prometheus_result_is_judged_by_its_http_answer(body: bytes) -> None:
    with pytest.raises(NotAnswer):
        read_answer(body)


def test_a_result_that_is_not_a_list_is_malformed() -> None:
    with pytest.raises(Malformed, match=r"data\.result is not a list of series"):
        read_answer(_body({"metric": {}, "values": [[1, "2"]]}))


def test_values_keys_elsewhere_make_it_read_the_slow_way() -> None:
    # a "values" array outside any series, and a series with two of them
    odd = b'{"status":"success","values":[[1,"2"]],"data":{"result":[]}}'
    assert read_answer(odd).series == []
    twice = (
        b'{"status":"success","data":{"result":'
        b'[{"metric":{},"values":[[1,"2"]],"values":[[3,"4"]]}]}}'
    )
    assert _fast(twice) is None
    ((_, ts, vs),) = read_answer(twice).series
    assert (ts.tolist(), vs.tolist()) == ([3.0], [4.0])  # json keeps the last, as before


numbers = st.one_of(
    st.floats(allow_nan=False, width=64).map(repr),
    st.sampled_from(["NaN", "+Inf", "-Inf", "1e308", "-0", "5"]),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=3),
            st.lists(st.tuples(st.integers(0, 2**33), numbers), max_size=6),
        ),
        max_size=4,
    )
)
def test_any_answer_reads_the_same_both_ways(
    series: list[tuple[dict[str, str], list[tuple[int, str]]]],
) -> None:
    body = _body([{"metric": m, "values": [list(v) for v in vs]} for m, vs in series])
    _same(read_answer(body), _slow(body))


def test_deep_nesting_and_huge_integers_read_as_json_would() -> None:
    deep = _body([{"metric": {"a": "b"}, "values": [[1, "2"]]}]).replace(
        b'"metric":{"a":"b"}', b'"metric":{"a":' + b"[" * 5000 + b"]" * 5000 + b"}"
    )
    with pytest.raises(NotAnswer):  # judged by its HTTP answer, not a crash of the run
        read_answer(deep)
    huge = _body([{"metric": {}, "values": [[10**400, "1"], [-(10**400), "2"], [1, "3"]]}])
    _same(read_answer(huge), _slow(huge))
    ((_, ts, _),) = read_answer(huge).series
    assert ts.tolist() == [np.inf, -np.inf, 1.0]
