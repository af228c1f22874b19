#include "analysis/plot_font.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <fstream>
#include <iterator>

// stb_truetype's implementation lives in this translation unit only, with
// internal linkage (STBTT_STATIC): the workstation links Dear ImGui, which
// carries its own copy of the same library.
#define STBTT_STATIC
#define STB_TRUETYPE_IMPLEMENTATION
#include <stb/stb_truetype.h>

namespace sf::analysis {

struct PlotFont::Impl {
    std::vector<unsigned char> data;   // stb_truetype reads the file in place
    stbtt_fontinfo info{};
    int ascent = 0, descent = 0, line_gap = 0;   // font units
};

namespace {

// UTF-8 to code points; a malformed sequence yields U+FFFD and resyncs at the next byte.
std::vector<char32_t> decode_utf8(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        int extra = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
        if (extra < 0 || i + static_cast<size_t>(extra) >= s.size() + (extra == 0 ? 1u : 0u)) {   // bad lead byte, or truncated
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        char32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
        bool ok = true;
        for (int k = 1; k <= extra; ++k) {
            const auto c = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
            if ((c >> 6) != 0x2) {
                ok = false;
                break;
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (!ok) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(cp);
        i += static_cast<size_t>(extra) + 1;
    }
    return out;
}

}  // namespace

PlotFont::~PlotFont() { delete impl_; }

Result<const PlotFont*> PlotFont::get() {
    // Loaded once (a thread-safe static); the font lives until the process exits.
    static const Result<const PlotFont*> loaded = [] {
        auto* font = new PlotFont();
        font->impl_ = new Impl();
        Impl& f = *font->impl_;
        const std::string hint = std::string(kPlotFontFile) + ": the plot font (DejaVu Sans, Debian package fonts-dejavu-core)";
        std::ifstream in(kPlotFontFile, std::ios::binary);
        if (in) f.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        Result<const PlotFont*> r = font;
        if (!in) {
            r = fail(ErrorCode::FileNotFound, hint + " is missing");
        } else if (f.data.empty() || stbtt_InitFont(&f.info, f.data.data(), stbtt_GetFontOffsetForIndex(f.data.data(), 0)) == 0) {
            r = fail(ErrorCode::FileRead, hint + " is not a TrueType font");
        } else {
            stbtt_GetFontVMetrics(&f.info, &f.ascent, &f.descent, &f.line_gap);
        }
        if (!r) delete font;
        return r;
    }();
    return loaded;
}

bool PlotFont::has_glyph(char32_t code_point) const { return stbtt_FindGlyphIndex(&impl_->info, static_cast<int>(code_point)) != 0; }

int PlotFont::width(std::string_view text, double size_px) const {
    assert(size_px > 0.0);
    const float scale = stbtt_ScaleForPixelHeight(&impl_->info, static_cast<float>(size_px));
    const auto cps = decode_utf8(text);
    double pen = 0.0;
    for (size_t i = 0; i < cps.size(); ++i) {
        int advance = 0, lsb = 0;
        stbtt_GetCodepointHMetrics(&impl_->info, static_cast<int>(cps[i]), &advance, &lsb);
        pen += advance * scale;
        if (i + 1 < cps.size()) pen += scale * stbtt_GetCodepointKernAdvance(&impl_->info, static_cast<int>(cps[i]), static_cast<int>(cps[i + 1]));
    }
    return static_cast<int>(std::ceil(pen));
}

TextBitmap PlotFont::rasterize(std::string_view text, double size_px) const {
    assert(size_px > 0.0);
    const Impl& f = *impl_;
    const float scale = stbtt_ScaleForPixelHeight(&f.info, static_cast<float>(size_px));
    const auto cps = decode_utf8(text);
    TextBitmap out;
    out.baseline = static_cast<int>(std::ceil(f.ascent * scale));
    out.height = out.baseline - static_cast<int>(std::floor(f.descent * scale));
    out.width = width(text, size_px) + 2;   // a glyph's ink may pass its advance by a pixel
    out.alpha.assign(static_cast<size_t>(out.width) * static_cast<size_t>(out.height), 0);
    std::vector<unsigned char> glyph;
    double pen = 0.0;
    for (size_t i = 0; i < cps.size(); ++i) {
        const int cp = static_cast<int>(cps[i]);
        const int ipen = static_cast<int>(std::floor(pen));
        const float shift = static_cast<float>(pen - ipen);   // sub-pixel placement keeps the spacing even
        int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        stbtt_GetCodepointBitmapBoxSubpixel(&f.info, cp, scale, scale, shift, 0.0f, &x0, &y0, &x1, &y1);
        const int w = x1 - x0, h = y1 - y0;
        if (w > 0 && h > 0) {
            glyph.assign(static_cast<size_t>(w) * static_cast<size_t>(h), 0);
            stbtt_MakeCodepointBitmapSubpixel(&f.info, glyph.data(), w, h, w, scale, scale, shift, 0.0f, cp);
            for (int y = 0; y < h; ++y) {
                const int ty = out.baseline + y0 + y;
                if (ty < 0 || ty >= out.height) continue;
                for (int x = 0; x < w; ++x) {
                    const int tx = ipen + x0 + x;
                    if (tx < 0 || tx >= out.width) continue;
                    uint8_t& a = out.alpha[static_cast<size_t>(ty) * static_cast<size_t>(out.width) + static_cast<size_t>(tx)];
                    a = std::max(a, glyph[static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)]);
                }
            }
        }
        int advance = 0, lsb = 0;
        stbtt_GetCodepointHMetrics(&f.info, cp, &advance, &lsb);
        pen += advance * scale;
        if (i + 1 < cps.size()) pen += scale * stbtt_GetCodepointKernAdvance(&f.info, cp, static_cast<int>(cps[i + 1]));
    }
    return out;
}

}  // namespace sf::analysis
