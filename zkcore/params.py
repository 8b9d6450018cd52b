"""BN254 (alt_bn128) constants and nothing else.

Curve E: y² = x³ + 3 over Fq; twist E': y² = x³ + 3/ξ over Fq2 = Fq[u]/(u² + 1), ξ = 9 + u
(a D-type sextic twist). Both G1 and G2 have prime order R. The curve is parametrised by
X = 4965661367192848881: P = 36X⁴ + 36X³ + 24X² + 6X + 1, R = 36X⁴ + 36X³ + 18X² + 6X + 1.
"""

from .kernels.constants import P, R, X  # defined once, where the kernels can import them too

__all__ = ["B1", "B2", "G1_GENERATOR", "G2_GENERATOR", "P", "R", "X"]

B1 = 3
# 3/ξ in Fq2, as (real, imaginary).
B2 = (
    19485874751759354771024239261021720505790618469301721065564631296452457478373,
    266929791119991161246907387137283842545076965332900288569378510910307636690,
)

G1_GENERATOR = (1, 2)
# G2 generator as ((x_real, x_imag), (y_real, y_imag)), the one snarkjs and EIP-197 use.
G2_GENERATOR = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)

# 6X + 2, the optimal-ate Miller loop length for BN curves.
ATE_LOOP_COUNT = 6 * X + 2
