// Fuzz body: the reverb IR loader (design_reverb: read the whole IR at the
// session rate, map its channels to 2→2 kernels, fold gain and predelay in)
// and the convolver built from it.
//
// Contract checked (engine/dsp/reverb.h): an IR file is refused with an
// error naming the block ("buses[0].reverb") on one line, or it yields
// finite kernels of length predelay + IR frames routed as its channel count
// says, from which FftConvolver builds and convolves to finite output.
#include <cmath>
#include <string>

#include "engine/dsp/fft_convolver.h"
#include "engine/dsp/reverb.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

int ir_input(const uint8_t* data, size_t size) {
    const auto& file = write_scratch("ir", data, size);
    ReverbSpec spec;
    spec.ir = file;
    spec.ir_as_written = file.string();
    spec.predelay_ms = static_cast<double>(size % 7);  // replays alike: derived from the input
    spec.wet_db = -6.0;
    const int rate = size % 2 ? 44100 : 48000;
    const std::string label = "buses[0].reverb";
    auto kernels = design_reverb(spec, rate, label);
    if (!kernels) {
        const Error& e = kernels.error();
        FUZZ_CHECK(e.message.starts_with(label), e.message);
        FUZZ_CHECK(e.message.find('\n') == std::string::npos, e.message);
        FUZZ_CHECK(e.code != ErrorCode::Internal, e.message);
        return 0;
    }
    const int64_t predelay = predelay_frames(spec.predelay_ms, rate);
    FUZZ_CHECK(kernels->inputs == 2 && kernels->outputs == 2 && kernels->route.size() == 4, "shape");
    const size_t n = kernels->kernels.size();
    FUZZ_CHECK(n == 1 || n == 2 || n == 4, std::to_string(n));
    for (int r : kernels->route) FUZZ_CHECK(r >= -1 && r < static_cast<int>(n), std::to_string(r));
    for (const auto& k : kernels->kernels) {
        FUZZ_CHECK(static_cast<int64_t>(k.size()) > predelay, std::to_string(k.size()));
        FUZZ_CHECK(k.size() == kernels->kernels.front().size(), "kernels of one IR differ in length");
        for (double t : k) FUZZ_CHECK(std::isfinite(t), "non-finite tap");
        for (int64_t i = 0; i < predelay; ++i) FUZZ_CHECK(k[static_cast<size_t>(i)] == 0.0, "predelay taps not zero");
    }

    auto conv = FftConvolver::create(*kernels);
    FUZZ_CHECK(conv.has_value(), conv ? std::string() : conv.error().message);
    constexpr int64_t kFrames = 1031;
    std::vector<float> in_l(kFrames), in_r(kFrames), out_l(kFrames), out_r(kFrames);
    for (int64_t i = 0; i < kFrames; ++i) {
        in_l[static_cast<size_t>(i)] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
        in_r[static_cast<size_t>(i)] = i == 0 ? 1.0f : 0.0f;
    }
    const float* in[2] = {in_l.data(), in_r.data()};
    float* out[2] = {out_l.data(), out_r.data()};
    conv->process(in, out, kFrames);
    for (int64_t i = 0; i < kFrames; ++i)
        FUZZ_CHECK(std::isfinite(out_l[static_cast<size_t>(i)]) && std::isfinite(out_r[static_cast<size_t>(i)]), "non-finite output");
    return 0;
}

}  // namespace sf::fuzz
