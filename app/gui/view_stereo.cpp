// The stereo view: vectorscope (mid up, side across, as a goniometer), the
// correlation meter and its course over time, correlation per octave band,
// balance, width and the loudness lost when folded to mono.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/plot.h"
#include "app/gui/views.h"

namespace sf::gui {

void draw_stereo_view(ViewContext& ctx) {
    Workstation& ws = ctx.ws;
    const std::optional<size_t> focus = ws.focus_source();
    if (!source_ready(ws, focus)) return;
    const Source& src = ws.sources()[*focus];
    const analysis::FileAnalysis& a = *src.analysis;
    if (!a.stereo) {
        ImGui::TextDisabled("%s is not stereo: no stereo image to show.", src.label.c_str());
        return;
    }
    const analysis::StereoImage& st = *a.stereo;
    const float scale = ctx.frame.scale;
    ImGui::Text("%s", src.label.c_str());
    ImGui::Text("correlation %s    balance %s    side/mid %s    mono fold %s",
                st.correlation ? (std::to_string(*st.correlation).substr(0, 5)).c_str() : "-", fmt_level(st.balance_db, "dB").c_str(),
                st.side_mid_ratio && *st.side_mid_ratio > 0 ? fmt_level(10.0 * std::log10(*st.side_mid_ratio), "dB").c_str() : "-",
                fmt_level(a.mono_loss_lu, "LU").c_str());

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float side = std::min(avail.x * 0.4f, avail.y - 4.0f);
    // ---- vectorscope
    ImGui::BeginGroup();
    {
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const ImVec2 c(p.x + side / 2, p.y + side / 2);
        const float r = side / 2 - 4.0f;
        dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(18, 18, 22, 255));
        dl->AddCircle(c, r, kColourGrid, 64);
        dl->AddLine(ImVec2(c.x, p.y), ImVec2(c.x, p.y + side), kColourGrid);
        dl->AddLine(ImVec2(p.x, c.y), ImVec2(p.x + side, c.y), kColourGrid);
        dl->AddLine(ImVec2(c.x - r * 0.707f, c.y - r * 0.707f), ImVec2(c.x + r * 0.707f, c.y + r * 0.707f), kColourGrid);
        dl->AddLine(ImVec2(c.x + r * 0.707f, c.y - r * 0.707f), ImVec2(c.x - r * 0.707f, c.y + r * 0.707f), kColourGrid);
        dl->AddText(ImVec2(c.x - r * 0.75f, c.y - r * 0.8f), kColourText, "L");
        dl->AddText(ImVec2(c.x + r * 0.7f, c.y - r * 0.8f), kColourText, "R");
        const size_t n = std::min(st.vectorscope_mid.size(), st.vectorscope_side.size());
        float peak = 1e-6f;
        for (size_t i = 0; i < n; ++i) peak = std::max({peak, std::abs(st.vectorscope_mid[i]), std::abs(st.vectorscope_side[i])});
        const float k = r / std::max(peak, 0.05f);  // auto-gain, as a goniometer's AGC
        // At most ~8000 dots (4 vertices each): a denser cloud reads no better.
        const size_t step = std::max<size_t>(1, n / 8000);
        for (size_t i = 0; i < n; i += step) {
            const ImVec2 q(c.x + st.vectorscope_side[i] * k, c.y - st.vectorscope_mid[i] * k);
            dl->AddRectFilled(q, ImVec2(q.x + 1.5f, q.y + 1.5f), IM_COL32(120, 230, 140, 110));
        }
        ImGui::Dummy(ImVec2(side, side));
    }
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float right_w = ImGui::GetContentRegionAvail().x;
    // ---- correlation meter (-1 .. +1)
    {
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = 22.0f * scale;
        dl->AddRectFilled(p, ImVec2(p.x + right_w, p.y + h), IM_COL32(18, 18, 22, 255));
        dl->AddLine(ImVec2(p.x + right_w / 2, p.y), ImVec2(p.x + right_w / 2, p.y + h), kColourGrid);
        if (st.correlation) {
            const float x = p.x + right_w * static_cast<float>((*st.correlation + 1.0) / 2.0);
            dl->AddRectFilled(ImVec2(std::min(x, p.x + right_w / 2), p.y + 3), ImVec2(std::max(x, p.x + right_w / 2), p.y + h - 3),
                              *st.correlation < 0 ? kColourCeiling : IM_COL32(80, 200, 120, 255));
        }
        dl->AddText(ImVec2(p.x + 3, p.y + 2), kColourText, "-1");
        dl->AddText(ImVec2(p.x + right_w - ImGui::CalcTextSize("+1").x - 3, p.y + 2), kColourText, "+1");
        ImGui::Dummy(ImVec2(right_w, h));
    }
    // ---- correlation over time
    {
        auto [t0, t1] = visible_time(ws);
        Plot plot("correlation-time", ImVec2(right_w, (side - 22.0f * scale) * 0.5f), Axis{t0, t1, false}, Axis{-1.0, 1.0, false});
        plot.time_ticks();
        plot.hline(0.0, kColourGrid);
        plot.series(st.correlation_over_time, 0.0, st.correlation_hop_s, IM_COL32(80, 170, 255, 255));
        draw_time_overlays(plot, ws);
        if (auto h = plot.hover()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s  correlation %.2f", time_label(h->x).c_str(), static_cast<double>(h->y));
            plot.readout(buf);
        }
        handle_time_axis_input(ws, plot.hovered(), plot.hover() ? plot.hover()->x : 0.0, plot.max().x - plot.min().x);
    }
    // ---- correlation per octave band
    {
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = std::max(60.0f * scale, (side - 22.0f * scale) * 0.5f - 8.0f);
        dl->AddRectFilled(p, ImVec2(p.x + right_w, p.y + h), IM_COL32(18, 18, 22, 255));
        const float mid = p.y + h / 2;
        dl->AddLine(ImVec2(p.x, mid), ImVec2(p.x + right_w, mid), kColourGrid);
        const size_t n = st.octaves.size();
        const float label_h = ImGui::GetTextLineHeight();
        for (size_t i = 0; i < n; ++i) {
            const float x0 = p.x + right_w * static_cast<float>(i) / static_cast<float>(n);
            const float w = right_w / static_cast<float>(n);
            if (st.octaves[i].correlation) {
                const float y = mid - static_cast<float>(*st.octaves[i].correlation) * (h / 2 - label_h);
                dl->AddRectFilled(ImVec2(x0 + 2, std::min(y, mid)), ImVec2(x0 + w - 2, std::max(y, mid)),
                                  *st.octaves[i].correlation < 0 ? kColourCeiling : IM_COL32(80, 170, 255, 255));
            }
            const std::string label = frequency_label(st.octaves[i].centre_hz);
            dl->AddText(ImVec2(x0 + 2, p.y + h - label_h), kColourText, label.c_str());
        }
        ImGui::Dummy(ImVec2(right_w, h));
    }
    ImGui::EndGroup();
}

}  // namespace sf::gui
