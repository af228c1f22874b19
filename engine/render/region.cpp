#include "engine/render/region.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace sf {

namespace {

// ln(10^6): a one-pole state decays by 120 dB in this many time constants.
constexpr double kTimeConstantsTo120Db = 13.82;

bool parse_number(std::string_view s, double& out) {
    if (s.empty() || s.front() == '+' || s.front() == '-') return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

Result<double> parse_time_s(std::string_view text, std::string_view option) {
    auto bad = [&] {
        return fail(ErrorCode::InvalidArgument,
                    std::string(option) + ": \"" + std::string(text) + "\" is not a time (seconds, or m:ss.fff)");
    };
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (true) {
        const size_t colon = text.find(':', pos);
        parts.push_back(text.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos));
        if (colon == std::string_view::npos) break;
        pos = colon + 1;
    }
    if (parts.size() > 3) return bad();
    double seconds = 0.0;
    for (size_t i = 0; i < parts.size(); ++i) {
        double v = 0.0;
        const bool last = i + 1 == parts.size();
        if (!parse_number(parts[i], v)) return bad();
        // Minutes and hours are whole; seconds after a colon are below 60.
        if (!last && v != std::floor(v)) return bad();
        if (last && parts.size() > 1 && v >= 60.0) return bad();
        if (i > 0 && !last && v >= 60.0) return bad();
        seconds = seconds * 60.0 + v;
    }
    return seconds;
}

int64_t mix_memory_frames(const Session& session, const RenderPlan& plan) {
    const int rate = plan.sample_rate;
    double stem_tau_ms = 0.0, bus_tau_ms = 0.0, chorus_ms = 0.0;
    auto tau = [](const std::optional<CompressorSpec>& c) { return c ? std::max(c->attack_ms, c->release_ms) : 0.0; };
    auto chorus = [](const std::optional<ChorusSpec>& c) { return c ? c->delay_ms + c->depth_ms : 0.0; };
    for (const StemSpec& s : session.stems) {
        stem_tau_ms = std::max(stem_tau_ms, tau(s.compressor));
        chorus_ms = std::max(chorus_ms, chorus(s.chorus));
    }
    for (const BusSpec& b : session.buses) {
        bus_tau_ms += tau(b.compressor);
        chorus_ms = std::max(chorus_ms, chorus(b.chorus));
    }
    const double compressors_s = kTimeConstantsTo120Db * (stem_tau_ms + bus_tau_ms) / 1000.0;
    const int64_t tails = std::max<int64_t>(0, plan.total_frames - plan.content_frames);
    return tails + static_cast<int64_t>(std::ceil((compressors_s + chorus_ms / 1000.0) * rate)) + 4;
}

}  // namespace sf
