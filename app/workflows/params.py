"""Torc's job parameters: value syntax, combinations, and `{name}` / `{name:fmt}` substitution.

Follows Torc's src/client/parameter_expansion.rs so that expanded names match Torc's exactly:
- `"1:100"` integers, both ends included; `"0:100:10"` with a step; `"0.0:1.0:0.25"` floats
  (repeated addition, the end included within 1e-10); `"0:1:0.25"` is a float range too (Torc
  refuses a float step between integer ends); `"[16,32,64]"`, `"[0.1,0.5]"`,
  `"['adam','sgd']"` lists; a single value; `"{1:5}"` is read as `"1:5"` (as Torc does). A YAML or
  JSON list (`[a, b]`) is read like the bracketed text.
- product (default) or zip of several parameters; zip needs lists of the same length.
- `{i:03d}` zero-pads an integer, `{lr:.4f}` fixes a float's decimals; other formats (and a
  format on a value of the other kind) give the plain value, as in Torc. A float without a format
  is written as Rust writes it: shortest form, no exponent, `1` for 1.0.
Unlike Torc, every occurrence of a parameter is replaced (Torc replaces only the first formatted
one and then skips the plain `{name}` occurrences of that parameter).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

MAX_VALUES = 100_000  # one parameter's values
MAX_COMBINATIONS = 10_000  # jobs (or files) from one template


@dataclass(frozen=True)
class Value:
    """One parameter value: an int, a float or a string."""

    value: int | float | str

    def plain(self) -> str:
        if isinstance(self.value, float):
            return rust_float(self.value)
        return str(self.value)

    def formatted(self, spec: str) -> str:
        if isinstance(self.value, int) and re.fullmatch(r"0\d+d", spec):
            return f"{self.value:0{int(spec[1:-1])}d}"
        if isinstance(self.value, float) and re.fullmatch(r"\.\d+f", spec):
            return f"{self.value:.{int(spec[1:-1])}f}"
        return self.plain()


def rust_float(number: float) -> str:
    """Rust's `f64::to_string()`: 0.0001, 0.30000000000000004, 1, 0.0000001 (never 1e-07)."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "inf" if number > 0 else "-inf"
    text = format(Decimal(repr(number)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _number(text: str) -> int | float | None:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return (
        number if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan|infinity)", text, re.I) else None
    )


def parse_values(spec: str | list[object]) -> list[Value]:
    """The values of one parameter. Raises ValueError with a message a person can act on."""
    if isinstance(spec, list):
        return [_item(str(item).strip()) for item in spec]
    text = spec.strip()
    if text.startswith("{") and text.endswith("}") and "," not in text:
        text = text[1:-1].strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_item(item.strip()) for item in inner.split(",")] if inner else []
    if ":" in text:
        return _range(text)
    return [_item(text)]


def _item(text: str) -> Value:
    number = _number(text)
    if number is not None:
        return Value(number)
    return Value(text.strip("'").strip('"'))


def _range(text: str) -> list[Value]:
    parts = [part.strip() for part in text.split(":")]
    if len(parts) not in (2, 3):
        raise ValueError(f"`{text}` is not a range: write start:end or start:end:step (e.g. 1:100, 0:1:0.25)")
    start, end = _number(parts[0]), _number(parts[1])
    step_text = parts[2] if len(parts) == 3 else ""
    step_number = _number(step_text) if step_text else 1
    if isinstance(start, int) and isinstance(end, int) and not isinstance(step_number, float):
        step = step_number
        if not isinstance(step, int):
            raise ValueError(f"`{text}`: the step must be a number")
        if step == 0:
            raise ValueError(f"`{text}`: the step cannot be zero")
        count = (end - start) // step + 1
        if count > MAX_VALUES:
            raise ValueError(f"`{text}` has {count:,} values; at most {MAX_VALUES:,} are allowed")
        return [Value(v) for v in range(start, end + (1 if step > 0 else -1), step)]
    if start is None or end is None:
        raise ValueError(f"`{text}` is not a range of numbers (e.g. 1:100, 0:100:10, 0.0:1.0:0.1)")
    fstep = float(_number(step_text) or 0) if step_text else 1.0
    if fstep == 0 or fstep != fstep:
        raise ValueError(f"`{text}`: the step cannot be zero")
    first, last = float(start), float(end)
    if abs((last - first) / fstep) > MAX_VALUES:
        raise ValueError(f"`{text}` has more than {MAX_VALUES:,} values")
    values: list[Value] = []
    current = first
    while (current <= last + 1e-10) if fstep > 0 else (current >= last - 1e-10):
        values.append(Value(current))
        current += fstep
    return values


def combinations(params: dict[str, list[Value]], mode: str) -> list[dict[str, Value]]:
    """Every combination (product, in the order the parameters are written) or the zip of them."""
    if not params:
        return [{}]
    names = list(params)
    if mode == "zip":
        lengths = {name: len(values) for name, values in params.items()}
        if len(set(lengths.values())) > 1:
            counts = ", ".join(f"{name} has {n}" for name, n in lengths.items())
            raise ValueError(f"parameter_mode zip needs the same number of values for every parameter ({counts})")
        return [dict(zip(names, row, strict=True)) for row in zip(*params.values(), strict=True)]
    total = 1
    for values in params.values():
        total *= len(values)
    if total > MAX_COMBINATIONS:
        raise ValueError(f"the parameters give {total:,} combinations; at most {MAX_COMBINATIONS:,} are allowed")
    return [dict(zip(names, row, strict=True)) for row in itertools.product(*params.values())]


def substitute(template: str, combo: dict[str, Value]) -> str:
    """`{name}` and `{name:fmt}` of the parameters in `combo` replaced; other braces left alone."""
    if not combo or "{" not in template:
        return template
    pattern = re.compile(
        r"\{(" + "|".join(re.escape(n) for n in sorted(combo, key=len, reverse=True)) + r")(?::([^{}]*))?\}"
    )

    def replace(match: re.Match[str]) -> str:
        value = combo[match.group(1)]
        return value.formatted(match.group(2)) if match.group(2) is not None else value.plain()

    return pattern.sub(replace, template)


def names_used(template: str, names: set[str]) -> set[str]:
    """Which of `names` appear as `{name}` or `{name:fmt}` in `template`."""
    return {name for name in names if re.search(r"\{" + re.escape(name) + r"(?::[^{}]*)?\}", template)}
