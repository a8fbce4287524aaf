"""Circuit strings in impedance.py's language, parsed once and evaluated with their Jacobian.

``R0-p(R1,CPE1)-p(R2,CPE2)-W1``: ``-`` joins elements in series, ``p(a,b,...)`` puts its
arguments in parallel, an element is a symbol (``R``, ``C``, ``L``, ``CPE``, ``W``, ``Wo``,
``Ws``, ``La``, ``G``, ``K``) followed by a label (``0``, ``1``, ``_ct``). Parameters are named
as impedance.py names them: ``R0`` for a one-parameter element, ``CPE1_0``, ``CPE1_1`` for the
parameters of a two-parameter one, in the order the elements appear in the string.

The string is parsed into a tree (no ``eval``); :meth:`Circuit.impedance` returns the complex
impedance and :meth:`Circuit.impedance_and_jacobian` also ``dZ/dp`` computed analytically by the
chain rule (series: ``dZ/dp = dZ_i/dp``; parallel: ``dZ/dp = (Z/Z_i)^2 dZ_i/dp``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from analysis.eis.elements import ELEMENTS, Complex, ElementKind, Frequencies, Real

_TOKEN = re.compile(r"\s*(p\(|\(|\)|,|-|[A-Za-z]+[A-Za-z0-9_]*)")
_SYMBOLS = sorted(ELEMENTS, key=len, reverse=True)


class CircuitError(ValueError):
    """A circuit string that cannot be understood, with the position of the problem."""


@dataclass(frozen=True)
class Element:
    name: str
    kind: ElementKind
    first: int  # index of its first parameter in the circuit's parameter vector


@dataclass(frozen=True)
class Node:
    """``op`` is ``"s"`` (series) or ``"p"`` (parallel); leaves are :class:`Element`."""

    op: str
    children: tuple[Node | Element, ...]


@dataclass(frozen=True)
class Circuit:
    """A parsed circuit: its string, tree, element list and parameter names/units/bounds."""

    text: str
    root: Node | Element
    elements: tuple[Element, ...]
    parameter_names: tuple[str, ...]
    units: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def n_params(self) -> int:
        return len(self.parameter_names)

    def impedance(
        self, frequency_hz: Sequence[float] | Real, params: Sequence[float] | Real
    ) -> Complex:
        """Z(f) in ohm for parameters ``params`` (in :attr:`parameter_names` order)."""
        return self.model(frequency_hz)(np.asarray(params, dtype=np.float64))[0]

    def impedance_and_jacobian(
        self, frequency_hz: Sequence[float] | Real, params: Sequence[float] | Real
    ) -> tuple[Complex, Complex]:
        """Z(f) (ohm) and dZ/dp with shape ``(n_params, n_frequencies)``."""
        return self.model(frequency_hz)(np.asarray(params, dtype=np.float64))

    def model(self, frequency_hz: Sequence[float] | Real) -> Model:
        """The circuit bound to fixed frequencies: a fast ``params -> (Z, dZ/dp)`` callable.

        The last few models are kept: the spectra of a series usually share their frequencies,
        so the compiled program and the frequency terms (j w, ln j w, ...) are built once."""
        f = np.asarray(frequency_hz, dtype=np.float64)
        key = (self.text, f.tobytes())
        model = _MODELS.get(key)
        if model is None:
            model = Model(self, Frequencies(f.copy()))
            if len(_MODELS) >= 32:
                del _MODELS[next(iter(_MODELS))]
            _MODELS[key] = model
        return model


_MODELS: dict[tuple[str, bytes], Model] = {}


_LEAF, _SERIES, _PARALLEL = 0, 1, 2


class Model:
    """A circuit evaluated repeatedly at the same frequencies (what a fit does).

    The tree is compiled once into a flat post-order program (no recursion, no per-call
    ``isinstance`` or dictionary look-ups): a leaf pushes its element's impedance, a series node
    replaces its ``n`` operands by their sum, a parallel node by ``1 / sum(1 / Z_i)`` and scales
    the Jacobian rows of each branch in place. Subtree parameters are contiguous, so a branch's
    rows are one slice: ``dZ/dp = (Z / Z_i)^2 dZ_i/dp``.
    """

    __slots__ = ("_n", "_program", "circuit", "fq")

    def __init__(self, circuit: Circuit, frequencies: Frequencies) -> None:
        self.circuit = circuit
        self.fq = frequencies
        self._n = circuit.n_params
        program: list[tuple[int, Any, int, int]] = []
        _compile(circuit.root, program)
        self._program = tuple(program)

    def __call__(self, params: Real) -> tuple[Complex, Complex]:
        values = params.tolist() if isinstance(params, np.ndarray) else list(params)
        try:
            return self._run(values)
        except ZeroDivisionError:
            # A parameter at 0 (Python floats raise): evaluate with numpy scalars, which give
            # inf/nan as the fit expects.
            return self._run(list(np.asarray(params, dtype=np.float64)))

    def _run(self, values: list[Any]) -> tuple[Complex, Complex]:
        fq = self.fq
        jac = np.empty((self._n, fq.w.size), dtype=np.complex128)
        stack: list[Any] = []
        push, pop = stack.append, stack.pop
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for op, arg, a, b in self._program:
                if op == _LEAF:
                    push(arg(fq, values[a:b], jac[a:b]))
                elif op == _SERIES:
                    total = pop()
                    for _ in range(a - 1):
                        total = pop() + total
                    push(total)
                else:
                    if a == 2:
                        # Two branches (the usual arc): admittances, so that an open
                        # branch (Z = inf) simply drops out.
                        y2 = 1.0 / pop()
                        y1 = 1.0 / pop()
                        z = 1.0 / (y1 + y2)
                        r1 = z * y1
                        r2 = z * y2
                        (lo1, hi1), (lo2, hi2) = arg
                        jac[lo1:hi1] *= r1 * r1
                        jac[lo2:hi2] *= r2 * r2
                        push(z)
                        continue
                    zs = stack[-a:]
                    del stack[-a:]
                    y = 1.0 / zs[0]
                    for zi in zs[1:]:
                        y = y + 1.0 / zi
                    z = 1.0 / y
                    for (lo, hi), zi in zip(arg, zs, strict=True):
                        if hi > lo:
                            ratio = z / zi
                            jac[lo:hi] *= ratio * ratio
                    push(z)
            z = stack[0]
        if np.ndim(z) == 0:
            z = np.full(fq.w.shape, z, dtype=np.complex128)
        return z, jac


def _compile(node: Node | Element, program: list[tuple[int, Any, int, int]]) -> tuple[int, int]:
    """Append ``node``'s post-order steps to ``program``; return its parameter span."""
    if isinstance(node, Element):
        span = (node.first, node.first + node.kind.n_params)
        program.append((_LEAF, node.kind.func, span[0], span[1]))
        return span
    spans = tuple(_compile(child, program) for child in node.children)
    if node.op == "s":
        program.append((_SERIES, None, len(spans), 0))
    else:
        program.append((_PARALLEL, spans, len(spans), 0))
    return spans[0][0], spans[-1][1]


@lru_cache(maxsize=256)
def parse_circuit(text: str) -> Circuit:
    """Parse an impedance.py circuit string (see the module docstring).

    Raises :class:`CircuitError` naming the position and what was expected.
    """
    tokens: list[tuple[str, int]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m:
            raise CircuitError(f"circuit {text!r}: unexpected character at position {pos + 1}")
        tokens.append((m.group(1), m.start(1)))
        pos = m.end()
    if not tokens:
        raise CircuitError("the circuit string is empty")
    elements: list[Element] = []
    names: list[str] = []
    units: list[str] = []
    lower: list[float] = []
    upper: list[float] = []
    index = 0

    def expect(tok: str) -> None:
        nonlocal index
        if index >= len(tokens) or tokens[index][0] != tok:
            found = tokens[index][0] if index < len(tokens) else "the end"
            where = tokens[index][1] + 1 if index < len(tokens) else len(text)
            raise CircuitError(
                f"circuit {text!r}, position {where}: expected {tok!r}, found {found!r}"
            )
        index += 1

    def series() -> Node | Element:
        nonlocal index
        items = [term()]
        while index < len(tokens) and tokens[index][0] == "-":
            index += 1
            items.append(term())
        return items[0] if len(items) == 1 else Node("s", tuple(items))

    def term() -> Node | Element:
        nonlocal index
        if index >= len(tokens):
            raise CircuitError(f"circuit {text!r} ends where an element was expected")
        tok, where = tokens[index]
        if tok == "p(":
            index += 1
            items = [series()]
            while index < len(tokens) and tokens[index][0] == ",":
                index += 1
                items.append(series())
            expect(")")
            if len(items) < 2:
                raise CircuitError(f"circuit {text!r}, position {where + 1}: p() needs 2 branches")
            return Node("p", tuple(items))
        if not tok[0].isalpha():
            raise CircuitError(
                f"circuit {text!r}, position {where + 1}: expected an element, found {tok!r}"
            )
        index += 1
        return make_element(tok, where)

    def make_element(name: str, where: int) -> Element:
        symbol = next((s for s in _SYMBOLS if name.startswith(s) and _label_ok(name[len(s) :])), "")
        if not symbol:
            raise CircuitError(
                f"circuit {text!r}, position {where + 1}: unknown element {name!r} "
                f"(known: {', '.join(sorted(ELEMENTS))}, followed by a number such as R0)"
            )
        if any(e.name == name for e in elements):
            raise CircuitError(f"circuit {text!r}: element {name!r} appears twice")
        kind = ELEMENTS[symbol]
        el = Element(name, kind, len(names))
        elements.append(el)
        if kind.n_params == 1:
            names.append(name)
        else:
            names.extend(f"{name}_{i}" for i in range(kind.n_params))
        units.extend(kind.units)
        lower.extend(kind.lower)
        upper.extend(kind.upper)
        return el

    root = series()
    if index != len(tokens):
        tok, where = tokens[index]
        raise CircuitError(f"circuit {text!r}, position {where + 1}: unexpected {tok!r}")
    return Circuit(
        text=text.strip(),
        root=root,
        elements=tuple(elements),
        parameter_names=tuple(names),
        units=tuple(units),
        lower=tuple(lower),
        upper=tuple(upper),
    )


def _label_ok(label: str) -> bool:
    # impedance.py strips digits and underscores to find the element: R0, R_ct, CPE1 are fine,
    # "Rct" would be an unknown element "Rct".
    return all(c.isdigit() or c == "_" for c in label)
