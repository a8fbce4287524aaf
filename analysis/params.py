"""Analysis parameters with units: declared once, validated one way.

A parameter object is a frozen dataclass derived from :class:`Params`; each field is declared
with :func:`param` (unit, one-line documentation, choices) and a name that carries its unit
(``area_cm2``, ``sample_width_mm``). :meth:`Params.from_mapping` is the one way to build it
from JSON-like data (a job's stored parameters, command-line options): unknown names, wrong
types and missing required values raise :class:`ParameterError` naming the parameter, so the
web, the API and the command line give the same message. :meth:`Params.specs` describes every
parameter (name, type, unit, default, documentation) for the pipeline registry.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

from analysis.serial import jsonable

P = TypeVar("P", bound="Params")

_REQUIRED: Any = dataclasses.MISSING


class ParameterError(ValueError):
    """A parameter that is unknown, missing, of the wrong type or out of range."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def param(
    default: Any = _REQUIRED,
    *,
    unit: str = "",
    doc: str,
    choices: tuple[Any, ...] = (),
) -> Any:
    """A pipeline parameter: its default (none: required), unit ("" for a number without one,
    also the suffix of its name), one-line documentation and allowed values."""
    meta = {"unit": unit, "doc": doc, "choices": choices}
    if default is _REQUIRED:
        return field(metadata=meta)
    if isinstance(default, list | dict):
        raise TypeError("use a tuple for a sequence default")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ParamSpec:
    """The description of one parameter (the registry's ``parameters``)."""

    name: str
    type: str
    unit: str
    default: Any
    required: bool
    doc: str
    choices: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "unit": self.unit,
            "default": jsonable(self.default),
            "required": self.required,
            "doc": self.doc,
            "choices": list(self.choices),
        }


@dataclass(frozen=True)
class Params:
    """Base of every pipeline's parameter object (a frozen dataclass)."""

    #: a nested dataclass field whose own fields are accepted at the top level (flattened)
    flatten: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _declared(cls) -> list[tuple[dataclasses.Field[Any], Any, str | None]]:
        """``(field, type hint, parent)`` of every parameter in declaration order: the
        fields of a ``flatten`` field stand at the top level, with that field as parent."""
        hints = typing.get_type_hints(cls)
        out: list[tuple[dataclasses.Field[Any], Any, str | None]] = []
        for f in dataclasses.fields(cls):
            if f.name in cls.flatten:
                nested = hints[f.name]
                sub_hints = typing.get_type_hints(nested)
                out += [(g, sub_hints[g.name], f.name) for g in dataclasses.fields(nested)]
            else:
                out.append((f, hints[f.name], None))
        return out

    @classmethod
    def specs(cls) -> tuple[ParamSpec, ...]:
        """Every parameter the pipeline accepts, nested ones flattened, in declaration order."""
        return tuple(_spec(f, hint) for f, hint, _ in cls._declared())

    @classmethod
    def from_mapping(cls: type[P], data: Mapping[str, Any]) -> P:
        """Validate ``data`` (JSON-like) into the parameter object; raises
        :class:`ParameterError` naming the first offending parameter."""
        known = {f.name: (hint, parent) for f, hint, parent in cls._declared()}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ParameterError(
                unknown[0], f"unknown parameter; known: {', '.join(sorted(known))}"
            )
        top: dict[str, Any] = {}
        nested_values: dict[str, dict[str, Any]] = {name: {} for name in cls.flatten}
        for name, value in data.items():
            hint, parent = known[name]
            coerced = _coerce(name, value, hint)
            if parent is None:
                top[name] = coerced
            else:
                nested_values[parent][name] = coerced
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name in cls.flatten:
                try:
                    top[f.name] = hints[f.name](**nested_values[f.name])
                except ValueError as exc:
                    raise ParameterError(f.name, str(exc)) from exc
            elif f.name not in top and _is_required(f):
                raise ParameterError(f.name, f"required ({f.metadata.get('doc', '')})")
            choices = f.metadata.get("choices", ())
            if choices and f.name in top and top[f.name] not in choices:
                raise ParameterError(
                    f.name, f"expected one of {list(choices)}, found {top[f.name]!r}"
                )
        try:
            return cls(**top)
        except ParameterError:
            raise
        except ValueError as exc:
            raise ParameterError(cls.__name__, str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a flat JSON-ready mapping (the form jobs store)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in self.flatten:
                for g in dataclasses.fields(value):
                    out[g.name] = jsonable(getattr(value, g.name))
            else:
                out[f.name] = jsonable(value)
        return out


def _is_required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _spec(f: dataclasses.Field[Any], hint: Any) -> ParamSpec:
    default = None if _is_required(f) else f.default
    if f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    return ParamSpec(
        name=f.name,
        type=_type_name(hint),
        unit=str(f.metadata.get("unit", "")),
        default=default,
        required=_is_required(f),
        doc=str(f.metadata.get("doc", "")),
        choices=tuple(f.metadata.get("choices", ())) or _literal_choices(hint),
    )


def _literal_choices(hint: Any) -> tuple[Any, ...]:
    for arg in (hint, *get_args(hint)):
        if get_origin(arg) is Literal:
            return tuple(get_args(arg))
    return ()


def _type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        names = [_type_name(a) for a in get_args(hint) if a is not type(None)]
        return " | ".join(names) + (" | null" if type(None) in get_args(hint) else "")
    if origin is Literal:
        return "str"
    if origin is tuple:
        args = get_args(hint)
        return f"list of {_type_name(args[0])}" if args else "list"
    return getattr(hint, "__name__", str(hint))


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """``value`` as the type ``hint`` asks (ints for floats, lists for tuples), or a
    :class:`ParameterError`."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = get_args(hint)
        if value is None:
            if type(None) in args:
                return None
            raise ParameterError(name, "a value is required, found null")
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(name, value, arg)
            except ParameterError as exc:
                errors.append(exc.message)
        raise ParameterError(name, errors[0] if errors else f"unexpected value {value!r}")
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            raise ParameterError(name, f"expected one of {list(allowed)}, found {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ParameterError(name, f"expected a list, found {value!r}")
        args = get_args(hint)
        item = args[0] if args else Any
        if (len(args) == 2 and args[1] is Ellipsis) or len(args) == 1:
            return tuple(_coerce(f"{name}[{i}]", v, item) for i, v in enumerate(value))
        if len(args) != len(value):
            raise ParameterError(name, f"expected {len(args)} values, found {len(value)}")
        return tuple(
            _coerce(f"{name}[{i}]", v, a) for i, (v, a) in enumerate(zip(value, args, strict=True))
        )
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(name, f"expected true or false, found {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(name, f"expected a number, found {value!r}")
        value = float(value)
        if math.isnan(value):
            raise ParameterError(name, "expected a number, found NaN")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ParameterError(name, f"expected a whole number, found {value!r}")
        return int(value)
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(name, f"expected text, found {value!r}")
        return value
    raise ParameterError(name, f"unsupported parameter type {hint!r}")
