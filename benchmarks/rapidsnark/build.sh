#!/bin/sh
# Build our rapidsnark timing harness (bench_prove.cpp) against an existing rapidsnark build and put it,
# with rapidsnark's own `prover`, in OUT_DIR, so that ZKELIG_RAPIDSNARK=OUT_DIR gives bench_prove.py its
# rapidsnark column. How to get the build: README.md beside this file.
#
#   benchmarks/rapidsnark/build.sh SRC_DIR [OUT_DIR]
#
# SRC_DIR is rapidsnark's source tree; its CMake build is looked for in SRC_DIR/build_prover (the
# directory rapidsnark's own `make host` uses) unless RAPIDSNARK_BUILD names another.
# OUT_DIR defaults to /work/rapidsnark.
# Exit codes: 0 built, 1 compiling or linking failed, 2 a prerequisite is missing (one line says which).
set -eu

missing() {
    echo "build.sh: $*" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || missing "usage: build.sh SRC_DIR [OUT_DIR]"
SRC=$(cd "$1" 2>/dev/null && pwd) || missing "no rapidsnark source directory at $1"
OUT=${2:-/work/rapidsnark}
BUILD=${RAPIDSNARK_BUILD:-$SRC/build_prover}
HERE=$(cd "$(dirname "$0")" && pwd)

command -v g++ >/dev/null || missing "no g++ on PATH: install it (apt-get install g++)"
[ -f "$SRC/src/prover.h" ] || missing "$SRC/src/prover.h missing: SRC_DIR must be iden3/rapidsnark's source tree"
for lib in librapidsnark.a libfr.a libfq.a; do
    [ -f "$BUILD/src/$lib" ] || missing "$BUILD/src/$lib missing: configure with cmake -DBUILD_TESTS=ON in $BUILD" \
        "and build the prover target (README.md)"
done
[ -x "$BUILD/src/prover" ] || missing "$BUILD/src/prover missing: build the prover target in $BUILD (README.md)"
[ -f /usr/include/gmp.h ] || [ -f /usr/include/x86_64-linux-gnu/gmp.h ] || missing "no gmp.h: apt-get install libgmp-dev"

mkdir -p "$OUT" || missing "cannot create $OUT"
# Static libraries are searched once, left to right: rapidsnark's code first, then the fields it uses, then gmp.
# rapidsnark's nasm objects carry no .note.GNU-stack; they need no executable stack, so say so to the linker.
g++ -std=c++17 -O2 -fopenmp -I"$SRC/src" "$HERE/bench_prove.cpp" \
    "$BUILD/src/librapidsnark.a" "$BUILD/src/libfr.a" "$BUILD/src/libfq.a" -lgmp -lpthread \
    -Wl,-z,noexecstack -o "$OUT/bench_prove" || { echo "build.sh: compiling bench_prove.cpp failed (see above)" >&2; exit 1; }
cp "$BUILD/src/prover" "$OUT/prover"
echo "built $OUT/bench_prove and copied $OUT/prover: export ZKELIG_RAPIDSNARK=$OUT"
