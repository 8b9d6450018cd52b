"""The BN254 moduli, defined once for the whole tree (zkcore.params re-exports them).

This module imports nothing, so kernels (which may import nothing of the project) can use it too.
"""

P = 21888242871839275222246405745257275088696311157297823662689037894645226208583  # the base field Fq
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617  # the group order, Fr
X = 4965661367192848881  # the curve parameter: P = 36X⁴ + 36X³ + 24X² + 6X + 1, R = 36X⁴ + 36X³ + 18X² + 6X + 1
