#include "analysis/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "analysis/plot.h"

namespace sf::analysis {

namespace {

std::string fmt(const char* f, double v) {
    char buf[96];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string figure(const nlohmann::json& v, const std::string& unit) {
    if (v.is_null()) return "&ndash;";
    if (v.is_string()) return html_escape(v.get<std::string>());
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>()) + (unit.empty() ? "" : " " + html_escape(unit));
    const double d = v.get<double>();
    const char* f = unit == "s" ? "%.3f" : "%.2f";
    return fmt(f, d) + (unit.empty() ? "" : " " + html_escape(unit));
}

std::string opt(std::optional<double> v, const char* f, const char* none = "&ndash;") { return v && std::isfinite(*v) ? fmt(f, *v) : std::string(none); }

const char* verdict(CheckStatus s) {
    switch (s) {
        case CheckStatus::Pass: return "Ready: every check passed";
        case CheckStatus::Warn: return "Ready with warnings: read the amber rows";
        case CheckStatus::Fail: return "Not ready: a check failed (red rows)";
    }
    return "";
}

constexpr const char* kStyle = R"(
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1080px;color:#1d1d1f;background:#fff;line-height:1.4}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:17px;margin:22px 0 6px}
.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:14px}
th,td{border:1px solid #d0d0d0;padding:5px 8px;text-align:left;vertical-align:top}th{background:#f2f2f2}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.pass td{background:#e7f5ea}tr.warn td{background:#fff4d6}tr.fail td{background:#fde2e1}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:bold;font-size:13px;color:#fff}
.badge.pass{background:#1e7e34}.badge.warn{background:#b26a00}.badge.fail{background:#c0262d}
.verdict{padding:10px 14px;border-radius:6px;font-size:18px;font-weight:bold;margin:8px 0 12px}
.verdict.pass{background:#e7f5ea;color:#14532d}.verdict.warn{background:#fff4d6;color:#6b4100}.verdict.fail{background:#fde2e1;color:#7f1d1d}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:8px 0}
.figures div{border:1px solid #ddd;border-radius:6px;padding:6px 10px}.figures b{display:block;font-size:20px}.figures span{color:#555;font-size:13px}
figure{margin:14px 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}figcaption{color:#555;font-size:13px}
)";

std::string file_section(const QcReport& r, size_t index) {
    const FileAnalysis& a = r.analysis;
    const std::string name = std::filesystem::path(a.file).filename().string();
    std::string h;
    h += "<section id=\"file-" + std::to_string(index) + "\">\n<h2>" + html_escape(name) + "</h2>\n";
    h += "<p class=\"sub\">" + html_escape(a.file) + "</p>\n";
    const char* st = to_string(r.status);
    h += std::string("<div class=\"verdict ") + st + "\" data-status=\"" + st + "\">" + verdict(r.status) + "</div>\n";
    auto box = [&](const std::string& value, const std::string& label) { h += "<div><b>" + value + "</b><span>" + label + "</span></div>"; };
    h += "<div class=\"figures\">";
    box(opt(a.integrated_lufs, "%.1f LUFS", "&ndash;&infin;"), "integrated loudness");
    box(opt(a.true_peak_dbtp, "%+.2f dBTP", "&ndash;&infin;"), "true peak");
    box(opt(a.lra_lu, "%.1f LU"), "loudness range");
    box(opt(a.short_term_max_lufs, "%.1f LUFS", "&ndash;&infin;"), "short-term max");
    box(opt(a.sample_peak > 0 ? std::optional<double>(20 * std::log10(a.sample_peak)) : std::nullopt, "%+.2f dBFS", "&ndash;&infin;"), "sample peak");
    box(opt(a.correlation, "%+.2f"), "correlation");
    box(fmt("%.1f s", a.duration_s), "duration");
    box(html_escape(std::to_string(a.info.sample_rate) + " Hz, " + a.info.encoding + ", " + std::to_string(a.info.channels) + " ch"), "format");
    h += "</div>\n";
    const QcTarget& t = r.target;
    h += "<p class=\"sub\">Held against: " + (t.preset ? std::string("preset <b>") + to_string(*t.preset) + "</b>, " : std::string()) +
         (t.target_lufs ? fmt("target %.1f LUFS", *t.target_lufs) + fmt(" (pass within &plusmn;%.1f LU)", t.loudness_pass_lu) : std::string("no loudness target")) +
         ", " + (t.ceiling_dbtp ? fmt("ceiling %.1f dBTP", *t.ceiling_dbtp) : std::string("full scale (0 dBTP)")) + ".</p>\n";

    h += "<h3>Checks</h3>\n<table class=\"checks\">\n<tr><th>Check</th><th>Status</th><th>Value</th><th>Limit</th><th>Message</th></tr>\n";
    for (const auto& c : r.checks) {
        const char* cs = to_string(c.status);
        h += std::string("<tr class=\"") + cs + "\" data-check=\"" + html_escape(c.name) + "\"><td>" + html_escape(c.name) + "</td><td><span class=\"badge " + cs +
             "\">" + cs + "</span></td><td class=\"num\">" + figure(c.value, c.unit) + "</td><td class=\"num\">" + figure(c.limit, c.unit) + "</td><td>" +
             html_escape(c.message) + "</td></tr>\n";
    }
    h += "</table>\n";

    if (!r.codecs.empty()) {
        h += "<h3>Codec round trips</h3>\n<p class=\"sub\">Each codec encodes the master through libsndfile and decodes it again, as a streaming "
             "service's transcode would; samples over full scale clip in any fixed-point player.</p>\n";
        h += "<table class=\"codecs\">\n<tr><th>Codec</th><th>Decoded true peak</th><th>Samples over full scale</th><th>Loudness change</th><th>Note</th></tr>\n";
        for (const auto& m : r.codecs) {
            const QcCodecSettings& s = qc_codec_settings(m.codec);
            const bool over = !m.error && ((m.true_peak_dbtp && *m.true_peak_dbtp > 0.0) || m.clipped_samples > 0);
            const char* cls = m.error || over ? "warn" : "pass";
            h += std::string("<tr class=\"") + cls + "\"><td>" + html_escape(s.description) + "</td>";
            if (m.error) {
                h += "<td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td><td>" + html_escape(*m.error) + "</td></tr>\n";
            } else {
                h += "<td class=\"num\">" + opt(m.true_peak_dbtp, "%+.2f dBTP", "&ndash;&infin;") + "</td><td class=\"num\">" + std::to_string(m.clipped_samples) +
                     "</td><td class=\"num\">" + opt(m.loudness_change_lu, "%+.2f LU") + "</td><td>" + (over ? "clips after the transcode" : "clean") + "</td></tr>\n";
            }
        }
        h += "</table>\n";
    }
    return h;
}

}  // namespace

std::string base64_encode(std::span<const uint8_t> in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == in.size()) {
        const uint32_t v = uint32_t{in[i]} << 16;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

Result<std::string> html_report(std::span<const QcReport> reports) {
    std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Delivery QC report";
    if (reports.size() == 1) h += " &ndash; " + html_escape(std::filesystem::path(reports[0].analysis.file).filename().string());
    h += "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<h1>Delivery QC report</h1>\n";
    h += "<p class=\"sub\">stemforge qc: loudness (ITU-R BS.1770-4 / EBU R 128), true peak (8&times; oversampled), file checks and codec round trips.</p>\n";
    if (reports.size() > 1) {
        h += "<table class=\"summary\">\n<tr><th>File</th><th>Status</th><th>Integrated</th><th>True peak</th></tr>\n";
        for (size_t i = 0; i < reports.size(); ++i) {
            const auto& r = reports[i];
            const char* st = to_string(r.status);
            h += std::string("<tr class=\"") + st + "\"><td><a href=\"#file-" + std::to_string(i) + "\">" +
                 html_escape(std::filesystem::path(r.analysis.file).filename().string()) + "</a></td><td><span class=\"badge " + st + "\">" + st +
                 "</span></td><td class=\"num\">" + opt(r.analysis.integrated_lufs, "%.1f LUFS", "&ndash;&infin;") + "</td><td class=\"num\">" +
                 opt(r.analysis.true_peak_dbtp, "%+.2f dBTP", "&ndash;&infin;") + "</td></tr>\n";
        }
        h += "</table>\n";
    }
    for (size_t i = 0; i < reports.size(); ++i) {
        const QcReport& r = reports[i];
        h += file_section(r, i);
        PlotOptions po;
        po.target_lufs = r.target.target_lufs;
        po.ceiling_dbtp = r.target.ceiling_dbtp.value_or(0.0);
        auto plots = render_plots(r.analysis, po);
        if (!plots) return std::unexpected(plots.error());
        h += "<h3>Plots</h3>\n";
        // Loudness first: the figure a client looks for.
        std::stable_partition(plots->begin(), plots->end(), [](const Plot& p) { return p.kind == "loudness"; });
        for (const Plot& p : *plots) {
            auto png = p.image.encode_png();
            if (!png) return std::unexpected(png.error());
            h += "<figure data-plot=\"" + p.kind + "\"><img src=\"data:image/png;base64," + base64_encode(*png) + "\" width=\"" +
                 std::to_string(p.image.width()) + "\" height=\"" + std::to_string(p.image.height()) + "\" alt=\"" + html_escape(p.title) +
                 "\"><figcaption>" + html_escape(p.title) + "</figcaption></figure>\n";
        }
        h += "</section>\n";
    }
    h += "</body>\n</html>\n";
    return h;
}

}  // namespace sf::analysis
