"""Groth16 keys and proofs (Groth 2016, eprint 2016/260, section 3.2), with snarkjs JSON forms.

snarkjs writes verification_key.json and proof.json with decimal-string coordinates; these
classes read them strictly (every point validated, G2 in the subgroup) and write them back in
the same shape, so snarkjs, circom and Solidity verifiers accept what zkelig produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..curve import G1, G2
from ..errors import InvalidEncoding
from ..field import parse_decimal
from ..params import R

_CURVE_NAMES = ("bn128", "bn254", "alt_bn128")


def _check_header(obj: dict, what: str) -> None:
    if not isinstance(obj, dict):
        raise InvalidEncoding(f"{what} must be a JSON object")
    if obj.get("protocol", "groth16") != "groth16":
        raise InvalidEncoding(f"{what}: protocol must be groth16")
    if str(obj.get("curve", "bn128")).lower() not in _CURVE_NAMES:
        raise InvalidEncoding(f"{what}: curve must be bn128 (BN254)")


def _field(obj: dict, key: str, what: str):
    if key not in obj:
        raise InvalidEncoding(f"{what}: missing '{key}'")
    return obj[key]


@dataclass(frozen=True, slots=True)
class VerifyingKey:
    """Groth16 verifying key."""

    alpha_g1: G1  # [α]₁
    beta_g2: G2  # [β]₂
    gamma_g2: G2  # [γ]₂
    delta_g2: G2  # [δ]₂
    ic_g1: tuple[G1, ...]  # [(βu_i(τ) + αv_i(τ) + w_i(τ))/γ]₁ for i = 0..ℓ

    @property
    def n_public(self) -> int:
        return len(self.ic_g1) - 1

    @classmethod
    def from_snarkjs(cls, obj: dict) -> VerifyingKey:
        what = "verification key"
        _check_header(obj, what)
        ic = _field(obj, "IC", what)
        if not isinstance(ic, list) or not ic:
            raise InvalidEncoding(f"{what}: IC must be a non-empty list")
        vk = cls(
            alpha_g1=G1.from_snarkjs(_field(obj, "vk_alpha_1", what)),
            beta_g2=G2.from_snarkjs(_field(obj, "vk_beta_2", what)),
            gamma_g2=G2.from_snarkjs(_field(obj, "vk_gamma_2", what)),
            delta_g2=G2.from_snarkjs(_field(obj, "vk_delta_2", what)),
            ic_g1=tuple(G1.from_snarkjs(p) for p in ic),
        )
        if "nPublic" in obj and obj["nPublic"] != vk.n_public:
            raise InvalidEncoding(f"{what}: nPublic is {obj['nPublic']!r} but IC has {len(ic)} points")
        return vk

    def to_snarkjs(self) -> dict:
        return {
            "protocol": "groth16",
            "curve": "bn128",
            "nPublic": self.n_public,
            "vk_alpha_1": self.alpha_g1.to_snarkjs(),
            "vk_beta_2": self.beta_g2.to_snarkjs(),
            "vk_gamma_2": self.gamma_g2.to_snarkjs(),
            "vk_delta_2": self.delta_g2.to_snarkjs(),
            "IC": [p.to_snarkjs() for p in self.ic_g1],
        }


@dataclass(frozen=True, slots=True)
class Proof:
    """Groth16 proof π = ([A]₁, [B]₂, [C]₁)."""

    a: G1
    b: G2
    c: G1

    @classmethod
    def from_snarkjs(cls, obj: dict) -> Proof:
        what = "proof"
        _check_header(obj, what)
        return cls(
            a=G1.from_snarkjs(_field(obj, "pi_a", what)),
            b=G2.from_snarkjs(_field(obj, "pi_b", what)),
            c=G1.from_snarkjs(_field(obj, "pi_c", what)),
        )

    def to_snarkjs(self) -> dict:
        return {
            "pi_a": self.a.to_snarkjs(),
            "pi_b": self.b.to_snarkjs(),
            "pi_c": self.c.to_snarkjs(),
            "protocol": "groth16",
            "curve": "bn128",
        }


def public_inputs_from_snarkjs(values: object) -> list[int]:
    """public.json: a list of decimal strings, each a canonical element of Fr."""
    if not isinstance(values, list):
        raise InvalidEncoding("public signals must be a JSON list")
    return [parse_decimal(v, R, f"public signal {i}") for i, v in enumerate(values)]


def public_inputs_to_snarkjs(values: Sequence[int]) -> list[str]:
    return [str(v) for v in values]
