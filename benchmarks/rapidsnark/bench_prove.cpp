// In-process timing of a local rapidsnark build through its C API (prover.h), for bench_prove.py.
//
//   bench_prove ZKEY WTNS RUNS [PROOF_OUT]
//
// Loads both files once, creates one prover object (the key is parsed there, outside the timing),
// proves once untimed (first touch of the key's pages and of the thread pool), then times RUNS calls
// of groth16_prover_prove and prints one JSON line: {"median_ms": …, "runs": …, "min_ms": …, "max_ms": …}.
// Every call must return PROVER_OK; the first failure ends the program with one line on stderr.
// PROOF_OUT, if given, receives the last proof's JSON so that it can be checked with our verifier.
//
// Exit codes: 0 timed, 1 a prover call failed, 2 bad arguments or unreadable files.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "prover.h"

namespace {

const unsigned long long kErrorSize = 1024;

bool read_file(const char *path, std::vector<char> &out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

int fail(int code, const std::string &what) {
    std::fprintf(stderr, "bench_prove: %s\n", what.c_str());
    return code;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        return fail(2, "usage: bench_prove ZKEY WTNS RUNS [PROOF_OUT]");
    }
    char *end = nullptr;
    const long runs = std::strtol(argv[3], &end, 10);
    if (*argv[3] == '\0' || *end != '\0' || runs < 1 || runs > 100000) {
        return fail(2, std::string("RUNS must be a whole number from 1 to 100000, not ") + argv[3]);
    }
    std::vector<char> zkey, wtns;
    if (!read_file(argv[1], zkey) || zkey.empty()) {
        return fail(2, std::string("cannot read the zkey ") + argv[1]);
    }
    if (!read_file(argv[2], wtns) || wtns.empty()) {
        return fail(2, std::string("cannot read the witness ") + argv[2]);
    }

    char error[kErrorSize] = {0};
    // The output buffers are sized as prover.h says: a fixed bound for the proof, and a bound from the
    // key's count of public signals; groth16_prover_prove writes the length it used back into the size.
    unsigned long long proof_capacity = 0, public_capacity = 0;
    groth16_proof_size(&proof_capacity);
    if (groth16_public_size_for_zkey_buf(zkey.data(), zkey.size(), &public_capacity, error, kErrorSize) != PROVER_OK) {
        return fail(1, std::string("groth16_public_size_for_zkey_buf: ") + error);
    }
    std::vector<char> proof(proof_capacity), publics(public_capacity);

    // The prover object keeps pointers into `zkey`, which therefore lives until the end of main.
    void *prover = nullptr;
    if (groth16_prover_create(&prover, zkey.data(), zkey.size(), error, kErrorSize) != PROVER_OK) {
        return fail(1, std::string("groth16_prover_create: ") + error);
    }

    auto prove_once = [&]() -> int {
        unsigned long long proof_size = proof.size(), public_size = publics.size();
        const int code = groth16_prover_prove(prover, wtns.data(), wtns.size(), proof.data(), &proof_size,
                                              publics.data(), &public_size, error, kErrorSize);
        if (code != PROVER_OK) {
            return code;
        }
        return proof_size > 0 && public_size > 0 ? PROVER_OK : PROVER_ERROR;
    };

    std::vector<double> samples;
    samples.reserve(runs);
    int code = prove_once();
    for (long i = 0; code == PROVER_OK && i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        code = prove_once();
        const auto stop = std::chrono::steady_clock::now();
        samples.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
    groth16_prover_destroy(prover);
    if (code != PROVER_OK) {
        return fail(1, "groth16_prover_prove returned " + std::to_string(code) + ": " + error);
    }

    if (argc == 5) {
        std::ofstream out(argv[4], std::ios::binary);
        out << proof.data();
        if (!out) {
            return fail(2, std::string("cannot write the proof to ") + argv[4]);
        }
    }

    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    const double median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    std::printf("{\"median_ms\": %.3f, \"runs\": %zu, \"min_ms\": %.3f, \"max_ms\": %.3f}\n", median, n, samples.front(),
                samples.back());
    return 0;
}
