// Stemforge — a seeded random generator whose output is the same on every
// platform and library (std::uniform_*_distribution is not): xoshiro256**
// seeded through splitmix64. Used for dither, the demo and test signals.
#pragma once

#include <array>
#include <cstdint>

namespace sf {

class Random {
public:
    explicit Random(uint64_t seed) {
        for (auto& word : s_) {
            uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }

    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double bipolar() { return 2.0 * uniform() - 1.0; }                          // [-1, 1)

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::array<uint64_t, 4> s_{};
};

}  // namespace sf
