"""Whatever a learner types or a link carries, the parsers answer with a value or a message.

Hypothesis drives the custom-sequence parser and every URL parameter with arbitrary text (and
text built from the characters that matter to them). The sequence parser returns a valid array or
raises ValueError with a message; the URL parser never raises and returns only in-range values.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_core.sequences import MAX_FEATURES, MAX_SEQUENCES, MAX_STEPS, MAX_VALUE, format_sequence, parse_sequence
from ui.schema import SCHEMA, parse_query, to_query

PIECES = st.sampled_from(
    ["1", "-2.5", "1e308", "1e999", "nan", "inf", "NaN", "Infinity", ",", ";", "|", "\n", " ", "[", "]", "{", "}"]
) | st.sampled_from(
    ['"', "null", "true", "0x10", "1_0", "٣", "∞", "__import__('os')", "[[1,2],[3]]", "[[1, 2], [3, 4]]"]
)
SEQUENCE_TEXT = st.text(max_size=200) | st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=SEQUENCE_TEXT)
def test_the_sequence_parser_returns_a_valid_array_or_a_message(text):
    try:
        values = parse_sequence(text)
    except ValueError as error:
        assert str(error)
        return
    assert values.dtype == np.float64 and values.ndim == 3
    batch, steps, features = values.shape
    assert 1 <= batch <= MAX_SEQUENCES and 1 <= steps <= MAX_STEPS and 1 <= features <= MAX_FEATURES
    assert np.isfinite(values).all() and np.abs(values).max() <= MAX_VALUE
    np.testing.assert_array_equal(parse_sequence(format_sequence(values)), values)  # it reads its own output back


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3), min_size=1, max_size=20))
def test_valid_numbers_come_back_exactly_in_either_form(values):
    np.testing.assert_array_equal(parse_sequence(json.dumps(values))[0], values)
    np.testing.assert_array_equal(parse_sequence(format_sequence(np.array(values))), [values])


def _raw_values(param):
    typical = st.sampled_from(["", "0", "-1", "1e9", "nan", "inf", "-inf", "true", "2.05", "1e-320", " 4 ", "0x1"])
    choices = st.sampled_from(param.choices) if param.choices else st.nothing()
    return st.text(max_size=60) | typical | choices | st.integers().map(str) | st.floats().map(str)


@pytest.mark.parametrize("name", list(SCHEMA))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_url_parameter_gives_a_valid_value_or_the_default_and_a_message(name, data):
    param = SCHEMA[name]
    raw = data.draw(_raw_values(param) | st.lists(_raw_values(param), max_size=3), label="raw")
    value, message = param.parse(raw)
    if message is not None:
        assert value == param.default and name in message and param.accepted() in message
    if param.kind in ("int", "float"):
        assert param.low <= value <= param.high and np.isfinite(value)
        assert isinstance(value, int) if param.kind == "int" else isinstance(value, float)
    elif param.kind == "choice":
        assert value in param.choices
    elif param.kind == "bool":
        assert isinstance(value, bool)
    else:
        assert len(value) <= param.max_chars
    # What the URL is given back reads as the same value (links are stable).
    assert param.parse(param.format(value)) == (value, None)


@settings(max_examples=200, deadline=None)
@given(query=st.dictionaries(st.sampled_from(list(SCHEMA)) | st.text(max_size=20), st.text(max_size=30), max_size=8))
def test_a_whole_query_never_raises_and_round_trips(query):
    values, messages = parse_query(query)
    assert set(values) <= set(SCHEMA)
    assert len(values) + len(messages) == len(query)
    assert parse_query(to_query(values)) == ({k: v for k, v in values.items() if v != SCHEMA[k].default}, [])
