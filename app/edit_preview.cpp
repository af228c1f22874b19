#include "app/edit_preview.h"

#include "analysis/loudness_probe.h"
#include "app/backends.h"

namespace sf::cli {

Result<PreviewResult> render_preview(const Session& session, const PreviewRequest& request) {
    // The meter hears what is delivered (with a master block, the primary
    // target's limiter output over the delivered stretch): master_tap.
    std::unique_ptr<LoudnessProbe> meter = analysis::make_loudness_probe();
    meter->reset(session.sample_rate, 2, true);
    RenderOptions options;
    options.output_override = request.file;
    options.cache = request.cache;
    options.region = request.region;
    options.cancel = request.cancel;
    options.progress = request.progress;
    options.loudness_probe = [] { return analysis::make_loudness_probe(); };
    options.master_tap = [&meter](const AudioBuffer& block, int64_t frames) { meter->add(block, frames); };
    auto rendered = render_with_fallback(request.backend, session, options, request.log ? request.log : [](const std::string&) {});
    if (!rendered) return std::unexpected(rendered.error());
    return PreviewResult{std::move(rendered->result), meter->stats()};
}

}  // namespace sf::cli
