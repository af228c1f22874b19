// The EQ editor (in the mixer, below the strips): the combined magnitude of
// the EQ from the stage's own definition (eq_magnitude, the target the FIR
// design is verified against within 0.02 dB), each band's curve, draggable
// band handles (frequency / gain; the wheel sets Q), type, slope, mode, and
// the source's long-term spectrum behind the curve. Every change is a `set`,
// `add` or `remove` on the session.
#include <algorithm>
#include <charconv>
#include <string_view>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"
#include "engine/dsp/eq_design.h"

namespace sf::gui {

namespace {

constexpr double kLowHz = 20.0;
constexpr double kRangeDb = 24.0;

bool has_gain(EqBandType t) { return t == EqBandType::Bell || t == EqBandType::LowShelf || t == EqBandType::HighShelf; }
bool has_q(EqBandType t) { return t != EqBandType::Highpass && t != EqBandType::Lowpass; }
bool has_slope(EqBandType t) { return t == EqBandType::Highpass || t == EqBandType::Lowpass; }

// The EQ block at an EQ path, what to call it and the source whose spectrum
// is drawn behind it (a sidechain EQ: the key's, since it filters the key).
struct EqTarget {
    const EqSpec* eq = nullptr;  // null: none yet (adding a band creates it)
    std::string name;            // empty: the path names no EQ of this session
    std::optional<size_t> source;
    bool sidechain = false;
};

bool ends_with(const std::string& s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::optional<size_t> index_of(const std::string& p, const char* head) {
    const std::string h = std::string(head) + "[";
    if (p.rfind(h, 0) != 0 || p.back() != ']') return std::nullopt;
    size_t k = 0;
    const char* first = p.data() + h.size();
    const char* last = p.data() + p.size() - 1;
    auto [end, ec] = std::from_chars(first, last, k);
    if (ec != std::errc() || end != last) return std::nullopt;
    return k;
}

std::optional<size_t> stem_source(const Workstation& ws, const std::string& name) {
    for (size_t i = 0; i < ws.sources().size(); ++i)
        if (ws.sources()[i].kind == SourceKind::Stem && ws.sources()[i].label == name) return i;
    return std::nullopt;
}

EqTarget find_target(const Workstation& ws, const std::string& eq_path) {
    EqTarget t;
    const Session& s = *ws.session()->session;
    static constexpr std::string_view kSidechain = ".compressor.sidechain_eq", kEq = ".eq";
    std::string owner;
    if (ends_with(eq_path, kSidechain)) {
        owner = eq_path.substr(0, eq_path.size() - kSidechain.size());
        t.sidechain = true;
    } else if (ends_with(eq_path, kEq)) {
        owner = eq_path.substr(0, eq_path.size() - kEq.size());
    } else {
        return t;
    }
    const CompressorSpec* compressor = nullptr;
    if (owner == "master" && !t.sidechain) {
        t.name = "master";
        if (s.master && s.master->eq) t.eq = &*s.master->eq;
        for (size_t i = 0; i < ws.sources().size(); ++i)
            if (ws.sources()[i].kind == SourceKind::Master) {
                t.source = i;
                break;
            }
        return t;
    } else if (auto k = index_of(owner, "stems"); k && *k < s.stems.size()) {
        t.name = s.stems[*k].name;
        if (s.stems[*k].eq) t.eq = &*s.stems[*k].eq;
        if (s.stems[*k].compressor) compressor = &*s.stems[*k].compressor;
        t.source = stem_source(ws, t.name);
    } else if (auto b = index_of(owner, "buses"); b && *b < s.buses.size()) {
        t.name = "[" + s.buses[*b].name + "]";
        if (s.buses[*b].eq) t.eq = &*s.buses[*b].eq;
        if (s.buses[*b].compressor) compressor = &*s.buses[*b].compressor;
    } else {
        return t;
    }
    if (t.sidechain) {
        t.eq = compressor && compressor->sidechain_eq ? &*compressor->sidechain_eq : nullptr;
        if (compressor && !compressor->sidechain.empty()) t.source = stem_source(ws, compressor->sidechain);  // none for a bus key
    }
    return t;
}

double round_to(double v, double step) { return std::round(v / step) * step; }

}  // namespace

void draw_eq_editor(ViewContext& ctx, const std::string& eq_path, std::vector<ViewEdit>& edits) {
    Workstation& ws = ctx.ws;
    const EqTarget target = find_target(ws, eq_path);
    if (target.name.empty()) return;  // not an EQ of this session
    const double rate = ws.session()->session->sample_rate;
    const double nyquist = rate / 2.0;
    const float scale = ctx.frame.scale;
    std::optional<size_t>& selected = ws.settings().eq_band;
    if (ws.settings().eq_band_path != eq_path) {  // the selection belongs to one EQ
        selected.reset();
        ws.settings().eq_band_path = eq_path;
    }
    const size_t n_bands = target.eq ? target.eq->bands.size() : 0;
    if (selected && *selected >= n_bands) selected.reset();
    if (target.source) ws.analyze(*target.source);  // its spectrum behind the curve

    ImGui::Separator();
    if (target.sidechain) ImGui::Text("Sidechain EQ: %s", target.name.c_str());
    else ImGui::Text("EQ: %s", target.name.c_str());
    ImGui::SameLine();
    const bool linear = !target.eq || target.eq->mode == EqMode::Linear;
    if (ImGui::RadioButton("linear phase", linear) && !linear) edits.push_back({ViewEdit::Op::Set, eq_path + ".mode", "linear", 0});
    ImGui::SameLine();
    if (ImGui::RadioButton("minimum phase", !linear) && linear) edits.push_back({ViewEdit::Op::Set, eq_path + ".mode", "minimum", 0});
    ImGui::SameLine();
    if (ImGui::Button("+ band"))
        edits.push_back({ViewEdit::Op::Add, eq_path + ".bands", {{"type", "bell"}, {"freq_hz", 1000.0}, {"gain_db", 0.0}, {"q", 1.0}}, 0});
    ctx.controls.note(eq_path + ".bands+");
    if (selected) {
        const EqBand& b = target.eq->bands[*selected];
        const std::string bp = eq_path + ".bands[" + std::to_string(*selected) + "]";
        ImGui::SameLine();
        const auto names = enum_names<EqBandType>();
        int type = static_cast<int>(b.type);
        ImGui::SetNextItemWidth(110.0f * scale);
        if (ImGui::BeginCombo("##type", std::string(names[static_cast<size_t>(type)]).c_str())) {
            for (size_t k = 0; k < names.size(); ++k)
                if (ImGui::Selectable(std::string(names[k]).c_str(), static_cast<int>(k) == type)) {
                    // The new type with the keys it takes (a high-pass has no gain or Q).
                    nlohmann::json band = {{"type", std::string(names[k])}, {"freq_hz", b.freq_hz}};
                    const auto t = static_cast<EqBandType>(k);
                    if (has_gain(t)) band["gain_db"] = b.gain_db;
                    if (has_q(t)) band["q"] = b.q;
                    if (has_slope(t)) band["slope_db_oct"] = b.slope_db_oct;
                    edits.push_back({ViewEdit::Op::Set, bp, band, 0});
                }
            ImGui::EndCombo();
        }
        ImGui::SameLine();
        float f = static_cast<float>(b.freq_hz);
        ImGui::SetNextItemWidth(110.0f * scale);
        if (ImGui::DragFloat("Hz", &f, std::max(0.1f, f * 0.005f), 20.0f, static_cast<float>(nyquist * 0.95), "%.1f"))
            edits.push_back({ViewEdit::Op::Set, bp + ".freq_hz", round_to(f, 0.1), ImGui::GetID("Hz")});
        if (has_gain(b.type)) {
            ImGui::SameLine();
            float g = static_cast<float>(b.gain_db);
            ImGui::SetNextItemWidth(90.0f * scale);
            if (ImGui::DragFloat("dB", &g, 0.05f, -24.0f, 24.0f, "%+.1f"))
                edits.push_back({ViewEdit::Op::Set, bp + ".gain_db", round_to(g, 0.1), ImGui::GetID("dB")});
        }
        if (has_q(b.type)) {
            ImGui::SameLine();
            float q = static_cast<float>(b.q);
            ImGui::SetNextItemWidth(80.0f * scale);
            if (ImGui::DragFloat("Q", &q, 0.01f, 0.1f, 20.0f, "%.2f")) edits.push_back({ViewEdit::Op::Set, bp + ".q", round_to(q, 0.01), ImGui::GetID("Q")});
        }
        if (has_slope(b.type)) {
            ImGui::SameLine();
            static const int kSlopes[] = {6, 12, 18, 24, 36, 48};
            ImGui::SetNextItemWidth(110.0f * scale);
            if (ImGui::BeginCombo("##slope", (std::to_string(b.slope_db_oct) + " dB/oct").c_str())) {
                for (int sl : kSlopes)
                    if (ImGui::Selectable((std::to_string(sl) + " dB/oct").c_str(), sl == b.slope_db_oct))
                        edits.push_back({ViewEdit::Op::Set, bp + ".slope_db_oct", sl, 0});
                ImGui::EndCombo();
            }
        }
        ImGui::SameLine();
        if (ImGui::Button("remove band")) {
            edits.push_back({ViewEdit::Op::Remove, bp, nullptr, 0});
            selected.reset();
        }
    }

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    Plot plot("eq", ImVec2(avail.x, std::max(avail.y, 140.0f * scale)), Axis{kLowHz, nyquist, true}, Axis{-kRangeDb, kRangeDb, false});
    plot.frequency_ticks();
    plot.y_ticks(6.0, "dB");
    // The source's spectrum, faint, on its own scale (-100 .. 0 dB over the plot's height).
    if (target.source && ws.sources()[*target.source].analysis) {
        const analysis::SmoothedSpectrum sm = analysis::smooth_octave(ws.sources()[*target.source].analysis->spectrum, 6, kLowHz, 48);
        std::vector<double> y(sm.power.size());
        for (size_t i = 0; i < y.size(); ++i)
            y[i] = sm.power[i] > 0.0 ? -kRangeDb + (10.0 * std::log10(sm.power[i]) + 100.0) / 100.0 * 2.0 * kRangeDb : -INFINITY;
        plot.trace(sm.freq_hz, y, IM_COL32(120, 120, 140, 160), 1.0f);
    }
    // Each band, then the whole EQ: the definition the render designs from.
    constexpr int kPoints = 400;
    std::vector<double> hz(kPoints), db(kPoints);
    for (int i = 0; i < kPoints; ++i) hz[static_cast<size_t>(i)] = kLowHz * std::pow(nyquist * 0.999 / kLowHz, i / (kPoints - 1.0));
    if (target.eq) {
        for (size_t k = 0; k < n_bands; ++k) {
            for (int i = 0; i < kPoints; ++i)
                db[static_cast<size_t>(i)] = 20.0 * std::log10(std::max(1e-12, eq_band_magnitude(target.eq->bands[k], hz[static_cast<size_t>(i)], rate)));
            plot.trace(hz, db, (source_colour(k + 1) & 0x00FFFFFF) | 0x70000000, 1.0f);
        }
        for (int i = 0; i < kPoints; ++i)
            db[static_cast<size_t>(i)] = 20.0 * std::log10(std::max(1e-12, eq_magnitude(*target.eq, hz[static_cast<size_t>(i)], rate)));
    } else {
        std::fill(db.begin(), db.end(), 0.0);
    }
    plot.trace(hz, db, source_colour(0), 2.0f);
    // Handles: drag to move (frequency, and gain where the band has one); the wheel sets Q.
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    for (size_t k = 0; k < n_bands; ++k) {
        const EqBand& b = target.eq->bands[k];
        const double y = has_gain(b.type) ? b.gain_db : 0.0;
        const ImVec2 c(plot.x_px(std::clamp(b.freq_hz, kLowHz, nyquist)), plot.y_px(std::clamp(y, -kRangeDb, kRangeDb)));
        const float r = 7.0f * scale;
        ImGui::SetCursorScreenPos(ImVec2(c.x - r, c.y - r));
        ImGui::PushID(static_cast<int>(k));
        ImGui::InvisibleButton("handle", ImVec2(2 * r, 2 * r));
        const ImGuiID id = ImGui::GetID("handle");
        const bool active = ImGui::IsItemActive(), hovered = ImGui::IsItemHovered();
        ImGui::PopID();
        if (ImGui::IsItemClicked()) selected = k;
        const std::string bp = eq_path + ".bands[" + std::to_string(k) + "]";
        ctx.controls.note(bp, ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r));
        if (active && (ImGui::GetIO().MouseDelta.x != 0.0f || ImGui::GetIO().MouseDelta.y != 0.0f)) {
            const double f = std::clamp(plot.x_at(mouse.x), kLowHz, nyquist * 0.95);
            edits.push_back({ViewEdit::Op::Set, bp + ".freq_hz", round_to(f, 0.1), id});
            if (has_gain(b.type))
                edits.push_back({ViewEdit::Op::Set, bp + ".gain_db", round_to(std::clamp(plot.y_at(mouse.y), -kRangeDb, kRangeDb), 0.1), id});
        }
        if (hovered && has_q(b.type) && ImGui::GetIO().MouseWheel != 0.0f)
            edits.push_back({ViewEdit::Op::Set, bp + ".q", round_to(std::clamp(b.q * std::pow(1.15, ImGui::GetIO().MouseWheel), 0.1, 20.0), 0.01), id});
        const bool is_selected = selected == k;
        plot.draw()->AddCircleFilled(c, r, (source_colour(k + 1) & 0x00FFFFFF) | (is_selected || active ? 0xFF000000 : 0xB0000000));
        plot.draw()->AddCircle(c, r, is_selected ? IM_COL32(255, 255, 255, 255) : IM_COL32(0, 0, 0, 200), 0, 1.5f);
        char label[24];
        std::snprintf(label, sizeof label, "%zu", k + 1);
        plot.draw()->AddText(ImVec2(c.x - ImGui::CalcTextSize(label).x / 2, c.y - ImGui::GetTextLineHeight() / 2), IM_COL32(0, 0, 0, 255), label);
        if (hovered) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "band %zu: %s Hz %+.1f dB Q %.2f (wheel: Q)", k + 1, frequency_label(b.freq_hz).c_str(), b.gain_db, b.q);
            plot.readout(buf);
        }
    }
    if (auto h = plot.hover(); h && !ImGui::IsAnyItemHovered()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s Hz  %+.1f dB", frequency_label(h->x).c_str(), static_cast<double>(h->y));
        plot.readout(buf);
    }
}

}  // namespace sf::gui
