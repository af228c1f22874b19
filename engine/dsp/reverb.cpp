#include "engine/dsp/reverb.h"

#include <cmath>
#include <cstdio>

#include "engine/audio/audio_file.h"

namespace sf {

int64_t predelay_frames(double predelay_ms, int sample_rate) {
    return static_cast<int64_t>(std::llround(predelay_ms * sample_rate / 1000.0));
}

namespace {

Result<void> check_ir_channels(int ch, const std::string& label) {
    if (ch != 1 && ch != 2 && ch != 4)
        return fail(ErrorCode::InvalidArgument, label + ": the IR has " + std::to_string(ch) +
                                                    " channels; it must have 1 (mono), 2 (stereo) or 4 (true stereo LL, LR, RL, RR)");
    return {};
}

}  // namespace

Result<ConvolutionKernels> reverb_kernels(const AudioBuffer& ir, double wet_db, int64_t predelay, const std::string& label) {
    const int ch = ir.channels();
    if (auto ok = check_ir_channels(ch, label); !ok) return std::unexpected(ok.error());
    if (ir.frames() < 1) return fail(ErrorCode::InvalidArgument, label + ": the IR is empty");
    const double g = std::pow(10.0, wet_db / 20.0);
    ConvolutionKernels k;
    k.inputs = k.outputs = 2;
    for (int c = 0; c < ch; ++c) {
        std::vector<double> taps(static_cast<size_t>(predelay + ir.frames()), 0.0);
        const float* src = ir.channel(c);
        for (int64_t i = 0; i < ir.frames(); ++i) taps[static_cast<size_t>(predelay + i)] = g * src[i];
        k.kernels.push_back(std::move(taps));
    }
    // route[input * 2 + output]
    if (ch == 1) k.route = {0, -1, -1, 0};
    else if (ch == 2) k.route = {0, -1, -1, 1};
    else k.route = {0, 1, 2, 3};  // LL, LR, RL, RR
    return k;
}

Result<ConvolutionKernels> design_reverb(const ReverbSpec& spec, int sample_rate, const std::string& label) {
    SourceOptions so;
    so.target_rate = sample_rate;
    so.max_channels = 64;  // let check_ir_channels name the rule for counts other than 1, 2, 4
    so.label = label + ".ir";
    auto source = AudioSource::open(spec.ir, so);
    if (!source) return std::unexpected(source.error());
    // Before reading: a header's channel count is known at open, and a
    // 42-byte FLAC claiming 6 channels of 10 minutes was decoded in full
    // before being refused (fuzz_ir, a 29 s unit under ASan).
    if (auto ok = check_ir_channels(source->channels(), label); !ok) return std::unexpected(ok.error());
    if (source->frames() > kMaxIrFrames) {
        char what[160];
        std::snprintf(what, sizeof what, ": the IR lasts %.1f s at %d Hz; at most %.1f s (%lld frames) are supported",
                      static_cast<double>(source->frames()) / sample_rate, sample_rate, static_cast<double>(kMaxIrFrames) / sample_rate,
                      static_cast<long long>(kMaxIrFrames));
        return fail(ErrorCode::InvalidArgument, so.label + " (" + spec.ir.string() + ")" + what);
    }
    auto ir = source->read_rest();
    if (!ir) return std::unexpected(ir.error());
    return reverb_kernels(*ir, spec.wet_db, predelay_frames(spec.predelay_ms, sample_rate), label);
}

}  // namespace sf
