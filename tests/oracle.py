"""Conversions between zkcore values and py_ecc's, for parity tests."""

from py_ecc import optimized_bn128 as ob
from py_ecc.fields import optimized_bn128_FQ12 as FQ12

from zkcore.curve import G1, G2
from zkcore.params import P


def g1_to_ecc(p: G1):
    return ob.Z1 if p.is_infinity else (ob.FQ(p.x), ob.FQ(p.y), ob.FQ.one())


def g2_to_ecc(p: G2):
    return ob.Z2 if p.is_infinity else (ob.FQ2(list(p.x)), ob.FQ2(list(p.y)), ob.FQ2.one())


def g1_from_ecc(pt) -> G1:
    if pt is None or ob.is_inf(pt):
        return G1.infinity()
    x, y = ob.normalize(pt)
    return G1.from_affine(int(x), int(y))


def g2_from_ecc(pt) -> G2:
    if pt is None or ob.is_inf(pt):
        return G2.infinity()
    x, y = ob.normalize(pt)
    return G2.from_affine(tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs))


def gt_to_ecc(coeffs) -> FQ12:
    """Our tower coefficients (w⁰, w², w⁴, w¹, w³, w⁵ as Fq2 pairs) → py_ecc's flat Fq[w]/(w¹² − 18w⁶ + 82).

    With w⁶ = 9 + u, an Fq2 coefficient a + b·u of w^k is a·w^k + b·(w^(k+6) − 9·w^k).
    """
    powers = (0, 2, 4, 1, 3, 5)
    flat = [0] * 12
    for slot, k in enumerate(powers):
        a, b = coeffs[2 * slot], coeffs[2 * slot + 1]
        flat[k] = (flat[k] + a - 9 * b) % P
        flat[k + 6] = (flat[k + 6] + b) % P
    return FQ12(flat)
