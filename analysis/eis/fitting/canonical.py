"""A canonical order for interchangeable branches of a fitted circuit.

Two arcs in series, ``p(R1,CPE1)-p(R2,CPE2)``, give the same impedance whichever of them holds
the fast process: the data cannot tell ``R1`` from ``R2``, so a fit may end at either of two
mirror-image minima, and which one it reaches depends on the start and on rounding (a few ulp
from BLAS kernels are enough on an ill-conditioned problem). The fit therefore reports such
branches in one order: the parameters of interchangeable branches are permuted, before the
standard errors and everything derived from them are computed, so that

* arcs (a resistor in parallel with a capacitor or a CPE) come **fastest first**, by their time
  constant tau = (R Q)^(1/alpha) (s) for R || CPE(Q, alpha) and tau = R C for R || C
  (Hirschorn et al., Electrochim. Acta 55, 6218 (2010)), which is also the order in which
  :mod:`analysis.eis.guess` places them and the SEI-before-charge-transfer convention of
  ``Rb-p(RSEI,CPE)-p(RCT,CPE)``;
* any other interchangeable branches (same elements in the same arrangement, e.g.
  ``p(R1,R2)``) are ordered by their parameter values, lexicographically, smallest first.

Branches are interchangeable when they are children of the same series or parallel node, have
the same structure (element kinds, nesting) and, parameter by parameter, the same bounds and
the same fixed/free status (equal values when fixed); a user's bound or fixed value that tells
them apart keeps the circuit's order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from analysis.eis.assign import cpe_time_constant_s
from analysis.eis.circuit import Circuit, Element, Node
from analysis.eis.elements import Real


def _span(node: Node | Element) -> tuple[int, int]:
    if isinstance(node, Element):
        return node.first, node.first + node.kind.n_params
    return _span(node.children[0])[0], _span(node.children[-1])[1]


def _shape(node: Node | Element) -> tuple[object, ...]:
    if isinstance(node, Element):
        return ("e", node.kind.symbol)
    return (node.op, tuple(_shape(c) for c in node.children))


def time_constant_s(node: Node | Element, params: Real) -> float | None:
    """tau (s) of an arc node, R || C (R C) or R || CPE ((R Q)^(1/alpha)); None for any other
    node or non-positive values."""
    if isinstance(node, Element) or node.op != "p" or len(node.children) != 2:
        return None
    kinds = {c.kind.symbol: c for c in node.children if isinstance(c, Element)}
    if "R" not in kinds or len(kinds) != 2:
        return None
    r = float(params[kinds["R"].first])
    if "C" in kinds:
        c = float(params[kinds["C"].first])
        return r * c if r > 0 and c > 0 else None
    if "CPE" in kinds:
        i = kinds["CPE"].first
        q, alpha = float(params[i]), float(params[i + 1])
        tau = cpe_time_constant_s(r, q, alpha)
        return tau if not math.isnan(tau) else None
    return None


def _key(node: Node | Element, params: Real) -> tuple[float, ...]:
    a, b = _span(node)
    tau = time_constant_s(node, params)
    values = tuple(float(v) for v in params[a:b])
    return (tau, *values) if tau is not None and math.isfinite(tau) else (math.inf, *values)


def canonical_permutation(
    circuit: Circuit,
    params: Real,
    free: npt.NDArray[np.bool_] | Sequence[bool],
    lower: Real | Sequence[float],
    upper: Real | Sequence[float],
) -> npt.NDArray[np.intp]:
    """Index array ``perm`` over the circuit's parameters such that ``params[perm]`` lists the
    interchangeable branches in canonical order (module docstring); ``free``, ``lower`` and
    ``upper`` are per circuit parameter (bounds of fixed parameters are ignored)."""
    p = np.asarray(params, dtype=np.float64)
    perm = np.arange(p.size)

    def signature(node: Node | Element) -> tuple[object, ...]:
        a, b = _span(node)
        status = tuple(
            ("free", float(lower[i]), float(upper[i])) if free[i] else ("fixed", float(p[i]))
            for i in range(a, b)
        )
        return (_shape(node), status)

    def visit(node: Node | Element) -> None:
        if isinstance(node, Element):
            return
        for child in node.children:
            visit(child)
        groups: dict[tuple[object, ...], list[Node | Element]] = {}
        for child in node.children:
            groups.setdefault(signature(child), []).append(child)
        for members in groups.values():
            if len(members) < 2:
                continue
            # The nested branches were ordered first: compare their values after that order.
            current = p[perm]
            slots = [_span(m) for m in members]
            ranked = sorted(members, key=lambda m: _key(m, current))
            sources = [perm[_span(m)[0] : _span(m)[1]].copy() for m in ranked]
            for (a, b), source in zip(slots, sources, strict=True):
                perm[a:b] = source

    visit(circuit.root)
    return perm
