// The spectrum (long-term Welch average, 1/N-octave smoothing, overlay of
// every shown source) and the spectrogram (the analysis' STFT as a texture on
// a log-frequency axis, on the shared time axis).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

namespace {

constexpr double kLowHz = 20.0;
constexpr double kFloorDb = -120.0, kTopDb = 0.0;

// The curve to draw for one spectrum: smoothed on the log axis, or every bin.
void spectrum_curve(const analysis::Spectrum& s, int smoothing_n, std::vector<double>& hz, std::vector<double>& db) {
    hz.clear();
    db.clear();
    if (smoothing_n > 0) {
        const analysis::SmoothedSpectrum sm = analysis::smooth_octave(s, smoothing_n, kLowHz, 48);
        for (size_t i = 0; i < sm.freq_hz.size(); ++i) {
            hz.push_back(sm.freq_hz[i]);
            db.push_back(sm.power[i] > 0.0 ? 10.0 * std::log10(sm.power[i]) : -INFINITY);
        }
    } else {
        for (size_t k = 1; k < s.power.size(); ++k) {
            hz.push_back(static_cast<double>(k) * s.bin_hz());
            db.push_back(s.db(k).value_or(-INFINITY));
        }
    }
}

// The 'magma'-like ramp engineers read spectrograms in: black, purple, orange, white.
uint32_t heat(double u) {
    u = std::clamp(u, 0.0, 1.0);
    struct Stop { double at, r, g, b; };
    static constexpr Stop kStops[] = {{0.0, 0, 0, 4}, {0.3, 80, 18, 123}, {0.55, 183, 55, 121}, {0.8, 252, 137, 97}, {1.0, 252, 253, 191}};
    size_t i = 1;
    while (i + 1 < std::size(kStops) && u > kStops[i].at) ++i;
    const Stop& a = kStops[i - 1];
    const Stop& b = kStops[i];
    const double t = (u - a.at) / (b.at - a.at);
    auto mix = [&](double x, double y) { return static_cast<uint32_t>(std::lround(x + (y - x) * std::clamp(t, 0.0, 1.0))); };
    return mix(a.r, b.r) | (mix(a.g, b.g) << 8) | (mix(a.b, b.b) << 16) | 0xFF000000u;
}

// The spectrogram as an image: one column per STFT frame, rows on a log
// frequency axis (top = Nyquist), dB mapped onto the ramp over [floor, top].
Image spectrogram_image(const analysis::Spectrogram& sg, uint64_t version) {
    Image img;
    const int rows = 384;
    img.width = std::max(1, sg.columns());
    img.height = rows;
    img.version = version;
    img.rgba.assign(static_cast<size_t>(img.width) * rows, 0xFF000000u);
    const double nyquist = sg.sample_rate / 2.0;
    const double bin_hz = sg.sample_rate / sg.fft_size;
    for (int r = 0; r < rows; ++r) {
        // Row r covers [f_lo, f_hi) on the log axis; take the loudest bin in it.
        const double u_hi = 1.0 - static_cast<double>(r) / rows, u_lo = 1.0 - static_cast<double>(r + 1) / rows;
        const double f_lo = kLowHz * std::pow(nyquist / kLowHz, u_lo), f_hi = kLowHz * std::pow(nyquist / kLowHz, u_hi);
        const int k0 = std::clamp(static_cast<int>(std::floor(f_lo / bin_hz)), 0, sg.bins - 1);
        const int k1 = std::clamp(static_cast<int>(std::ceil(f_hi / bin_hz)), k0 + 1, sg.bins);
        for (int c = 0; c < img.width; ++c) {
            const float* col = sg.db.data() + static_cast<size_t>(c) * static_cast<size_t>(sg.bins);
            float v = -200.0f;
            for (int k = k0; k < k1; ++k) v = std::max(v, col[k]);
            img.rgba[static_cast<size_t>(r) * static_cast<size_t>(img.width) + static_cast<size_t>(c)] = heat((v - kFloorDb) / (kTopDb - kFloorDb));
        }
    }
    return img;
}

}  // namespace

void draw_spectrum_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    ViewSettings& vs = ws.settings();
    const float scale = ctx.frame.scale;
    static const char* kSmoothing[] = {"none", "1/1 oct", "1/3 oct", "1/6 oct", "1/12 oct", "1/24 oct"};
    static const int kSmoothingN[] = {0, 1, 3, 6, 12, 24};
    int sel = static_cast<int>(std::find(std::begin(kSmoothingN), std::end(kSmoothingN), vs.spectrum_smoothing_n) - std::begin(kSmoothingN));
    ImGui::SetNextItemWidth(120.0f * scale);
    if (ImGui::Combo("smoothing", &sel, kSmoothing, 6) && sel >= 0 && sel < 6) vs.spectrum_smoothing_n = kSmoothingN[sel];
    ImGui::SameLine();
    ImGui::Checkbox("peak hold", &vs.spectrum_peak_hold);
    ImGui::SameLine();
    ImGui::Checkbox("side", &vs.spectrum_side);

    bool any = false;
    for (const Source& s : ws.sources()) any |= s.analysis != nullptr;
    if (!any) {
        source_ready(ws, ws.focus_source());
        return;
    }
    double nyquist = 24000.0;
    for (const Source& s : ws.sources())
        if (s.analysis && (s.shown)) nyquist = std::max(nyquist, s.analysis->spectrum.sample_rate / 2.0);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    Plot plot("spectrum", ImVec2(avail.x, std::max(avail.y, 160.0f * scale)), Axis{kLowHz, nyquist, true}, Axis{kFloorDb, kTopDb + 6.0, false});
    plot.frequency_ticks();
    plot.y_ticks(12.0, "dB");
    std::vector<double> hz, db;
    int legend_row = 0;
    const std::optional<size_t> focus = ws.focus_source();
    for (size_t i = 0; i < ws.sources().size(); ++i) {
        const Source& s = ws.sources()[i];
        if (!s.analysis || (!s.shown && i != focus)) continue;
        const ImU32 colour = source_colour(i);
        const ImU32 faint = (colour & 0x00FFFFFF) | 0x90000000;
        if (vs.spectrum_peak_hold) {  // the maximum over time, thin, above the average
            spectrum_curve(s.analysis->spectrum_max_hold, vs.spectrum_smoothing_n, hz, db);
            plot.trace(hz, db, faint, 1.0f);
        }
        if (vs.spectrum_side && s.analysis->side_spectrum) {  // side (L−R)/2, dashed look: thinner and faint
            spectrum_curve(*s.analysis->side_spectrum, vs.spectrum_smoothing_n, hz, db);
            plot.trace(hz, db, faint, 2.5f);
        }
        spectrum_curve(s.analysis->spectrum, vs.spectrum_smoothing_n, hz, db);
        plot.trace(hz, db, colour, 1.5f);
        const float y = plot.min().y + 4.0f + static_cast<float>(legend_row++) * ImGui::GetTextLineHeight();
        plot.draw()->AddText(ImVec2(plot.min().x + 8.0f, y), source_colour(i), s.label.c_str());
    }
    if (auto h = plot.hover()) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s Hz  %.1f dB", frequency_label(h->x).c_str(), static_cast<double>(h->y));
        plot.readout(buf);
        plot.vline(h->x, kColourCursor);
    }
}

void draw_spectrogram_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    const std::optional<size_t> focus = ws.focus_source();
    if (!source_ready(ws, focus)) return;
    const Source& src = ws.sources()[*focus];
    if (!src.analysis->spectrogram || src.analysis->spectrogram->columns() == 0) {
        ImGui::TextDisabled("%s has no spectrogram (too short).", src.label.c_str());
        return;
    }
    const analysis::Spectrogram& sg = *src.analysis->spectrogram;
    ImageCache::Entry& entry = ctx.images.spectrograms[src.file.string()];
    if (entry.from != src.analysis.get()) {
        entry.image = spectrogram_image(sg, ctx.images.next_version++);
        entry.from = src.analysis.get();
    }
    ImGui::Text("%s  (STFT %d points, hop %.1f ms)", src.label.c_str(), sg.fft_size, 1000.0 * sg.hop_s);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    auto [t0, t1] = visible_time(ws);
    const double nyquist = sg.sample_rate / 2.0;
    Plot plot("spectrogram", ImVec2(avail.x, std::max(avail.y, 160.0f * ctx.frame.scale)), Axis{t0, t1, false}, Axis{kLowHz, nyquist, true});
    // Columns are frames at hop_s: the visible time window is a U range of the texture.
    const double total_s = sg.hop_s * sg.columns();
    const float u0 = static_cast<float>(t0 / total_s), u1 = static_cast<float>(t1 / total_s);
    const ImTextureID tex = ctx.textures.get(std::hash<std::string>{}(src.file.string()), entry.image);
    plot.draw()->AddImage(tex, plot.min(), plot.max(), ImVec2(u0, 0.0f), ImVec2(u1, 1.0f));
    plot.time_ticks();
    // Frequency labels on the left (the y axis is logarithmic).
    for (double f : {50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0}) {
        if (f >= nyquist) continue;
        const float py = plot.y_px(f);
        plot.draw()->AddLine(ImVec2(plot.min().x, py), ImVec2(plot.min().x + 6.0f, py), kColourText);
        const std::string label = frequency_label(f);
        const ImVec2 sz = ImGui::CalcTextSize(label.c_str());
        plot.draw()->AddText(ImVec2(plot.min().x - sz.x - 4.0f, py - sz.y / 2), kColourText, label.c_str());
    }
    draw_time_overlays(plot, ws);
    if (auto h = plot.hover()) {
        const int c = std::clamp(static_cast<int>(h->x / sg.hop_s), 0, sg.columns() - 1);
        const int k = std::clamp(static_cast<int>(std::lround(h->y / (sg.sample_rate / sg.fft_size))), 0, sg.bins - 1);
        char buf[128];
        std::snprintf(buf, sizeof buf, "%s  %s Hz  %.1f dB", time_label(h->x).c_str(), frequency_label(h->y).c_str(),
                      static_cast<double>(sg.db[static_cast<size_t>(c) * static_cast<size_t>(sg.bins) + static_cast<size_t>(k)]));
        plot.readout(buf);
    }
    handle_time_axis_input(ws, plot.hovered(), plot.hover() ? plot.hover()->x : 0.0, plot.max().x - plot.min().x);
}

}  // namespace sf::gui
