// Session file v1: parsing and validation, in one place.
//
// The parser walks the JSON with a path-tracking reader. A rule that fails
// throws a private ParseFailure carrying "<json.path>: <rule>"; the public
// entry points catch it and return an Error, so nothing escapes this file.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/session/session.h"
#include "engine/master/preset.h"

namespace sf {
namespace {

using nlohmann::json;

struct ParseFailure {
    std::string message;
};

[[noreturn]] void fail_at(const std::string& path, const std::string& rule) {
    throw ParseFailure{path + ": " + rule};
}

std::string fmt_num(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

const char* type_name(const json& j) {
    switch (j.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::string: return "a string";
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        case json::value_t::binary: return "binary";
        case json::value_t::discarded: return "discarded";
        default: return "a number";
    }
}

// Reads the keys of one JSON object; `finish()` rejects any key not read.
class ObjectReader {
public:
    ObjectReader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
        if (!j_.is_object()) fail_at(path_.empty() ? "(top level)" : path_, std::string("must be an object, not ") + type_name(j_));
    }

    std::string child(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    bool has(const std::string& key) const { return j_.contains(key); }

    const json* get(const std::string& key) {
        seen_.insert(key);
        auto it = j_.find(key);
        return it == j_.end() ? nullptr : &*it;
    }

    std::optional<double> number(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) fail_at(child(key), std::string("must be a number, not ") + type_name(*v));
        double d = v->get<double>();
        if (!std::isfinite(d)) fail_at(child(key), "must be finite");
        return d;
    }

    double number(const std::string& key, double fallback, double lo, double hi) {
        auto v = number(key);
        if (!v) return fallback;
        if (*v < lo || *v > hi) fail_at(child(key), "must be within [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
        return *v;
    }

    std::optional<long long> integer(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_number_integer() && !(v->is_number_float() && std::floor(v->get<double>()) == v->get<double>()))
            fail_at(child(key), std::string("must be an integer, not ") + (v->is_number() ? "a fraction" : type_name(*v)));
        return v->is_number_integer() ? v->get<long long>() : static_cast<long long>(v->get<double>());
    }

    std::optional<bool> boolean(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_boolean()) fail_at(child(key), std::string("must be true or false, not ") + type_name(*v));
        return v->get<bool>();
    }

    std::optional<std::string> string(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_string()) fail_at(child(key), std::string("must be a string, not ") + type_name(*v));
        return v->get<std::string>();
    }

    std::string required_string(const std::string& key) {
        auto s = string(key);
        if (!s) fail_at(child(key), "is required");
        return *s;
    }

    // A string that must be one of `allowed`; returns its index.
    std::optional<size_t> choice(const std::string& key, std::initializer_list<const char*> allowed) {
        auto s = string(key);
        if (!s) return std::nullopt;
        size_t i = 0;
        std::string list;
        for (const char* a : allowed) {
            if (*s == a) return i;
            list += (i ? ", " : "") + std::string("\"") + a + "\"";
            ++i;
        }
        fail_at(child(key), "must be one of " + list + ", not \"" + *s + "\"");
    }

    const json* array(const std::string& key) {
        const json* v = get(key);
        if (v && !v->is_array()) fail_at(child(key), std::string("must be an array, not ") + type_name(*v));
        return v;
    }

    const json* object(const std::string& key) {
        const json* v = get(key);
        if (v && !v->is_object()) fail_at(child(key), std::string("must be an object, not ") + type_name(*v));
        return v;
    }

    void finish() const {
        for (auto it = j_.begin(); it != j_.end(); ++it)
            if (!seen_.count(it.key())) fail_at(child(it.key()), "unknown key");
    }

private:
    const json& j_;
    std::string path_;
    std::set<std::string> seen_;
};

std::string index_path(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

constexpr double kGainMinDb = -144.0;
constexpr double kGainMaxDb = 48.0;

struct Parser {
    std::filesystem::path base_dir;
    int sample_rate = 48000;

    std::filesystem::path resolve(const std::string& p) const {
        std::filesystem::path path(p);
        return path.is_absolute() ? path : base_dir / path;
    }

    double freq(ObjectReader& r, const std::string& key, double fallback, bool required) {
        if (required && !r.has(key)) fail_at(r.child(key), "is required");
        const double nyquist = sample_rate / 2.0;
        auto v = r.number(key);
        if (!v) return fallback;
        if (!(*v > 0.0 && *v < nyquist))
            fail_at(r.child(key), "must be > 0 and below the Nyquist frequency (" + fmt_num(nyquist) + " Hz)");
        return *v;
    }

    double positive(ObjectReader& r, const std::string& key, double fallback, double hi) {
        auto v = r.number(key);
        if (!v) return fallback;
        if (!(*v > 0.0)) fail_at(r.child(key), "must be > 0");
        if (*v > hi) fail_at(r.child(key), "must be <= " + fmt_num(hi));
        return *v;
    }

    EqSpec eq(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        EqSpec spec;
        if (auto m = r.choice("mode", {"linear", "minimum"})) spec.mode = *m == 0 ? EqMode::Linear : EqMode::Minimum;
        if (const json* bands = r.array("bands")) {
            for (size_t i = 0; i < bands->size(); ++i) spec.bands.push_back(band((*bands)[i], index_path(path + ".bands", i)));
        }
        r.finish();
        return spec;
    }

    EqBand band(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        EqBand b;
        auto t = r.choice("type", {"bell", "lowshelf", "highshelf", "notch", "bandpass", "highpass", "lowpass"});
        if (!t) fail_at(r.child("type"), "is required");
        static constexpr EqBandType kTypes[] = {EqBandType::Bell,  EqBandType::LowShelf, EqBandType::HighShelf,
                                                EqBandType::Notch, EqBandType::Bandpass, EqBandType::Highpass,
                                                EqBandType::Lowpass};
        b.type = kTypes[*t];
        b.freq_hz = freq(r, "freq_hz", 0.0, true);
        const bool cut = b.type == EqBandType::Highpass || b.type == EqBandType::Lowpass;
        const bool has_gain = b.type == EqBandType::Bell || b.type == EqBandType::LowShelf || b.type == EqBandType::HighShelf;
        if (cut) {
            if (auto s = r.integer("slope_db_oct")) {
                if (*s < 6 || *s > 48 || *s % 6 != 0) fail_at(r.child("slope_db_oct"), "must be a multiple of 6 within [6, 48]");
                b.slope_db_oct = static_cast<int>(*s);
            }
        } else {
            b.q = positive(r, "q", b.q, 100.0);
        }
        if (has_gain) b.gain_db = r.number("gain_db", 0.0, -48.0, 48.0);
        r.finish();  // keys that do not apply to this type are unknown keys
        return b;
    }

    CompressorSpec compressor(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        CompressorSpec c;
        c.threshold_db = r.number("threshold_db", c.threshold_db, -96.0, 0.0);
        c.ratio = r.number("ratio", c.ratio, 1.0, 1000.0);
        c.knee_db = r.number("knee_db", c.knee_db, 0.0, 48.0);
        c.attack_ms = r.number("attack_ms", c.attack_ms, 0.0, 1000.0);
        c.release_ms = positive(r, "release_ms", c.release_ms, 10000.0);
        c.makeup_db = r.number("makeup_db", c.makeup_db, -48.0, 48.0);
        if (auto d = r.choice("detector", {"peak", "rms"})) c.detector = *d == 0 ? Detector::Peak : Detector::Rms;
        r.finish();
        return c;
    }

    StemSpec stem(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        StemSpec s;
        s.name = r.required_string("name");
        if (s.name.empty()) fail_at(r.child("name"), "must not be empty");
        s.file_as_written = r.required_string("file");
        if (s.file_as_written.empty()) fail_at(r.child("file"), "must not be empty");
        s.file = resolve(s.file_as_written);
        s.gain_db = r.number("gain_db", 0.0, kGainMinDb, kGainMaxDb);
        s.pan = r.number("pan", 0.0, -1.0, 1.0);
        s.mute = r.boolean("mute").value_or(false);
        s.solo = r.boolean("solo").value_or(false);
        s.polarity_invert = r.boolean("polarity_invert").value_or(false);
        s.offset_s = r.number("offset_s", 0.0, 0.0, 86400.0);
        s.fade_in_s = r.number("fade_in_s", 0.0, 0.0, 86400.0);
        s.fade_out_s = r.number("fade_out_s", 0.0, 0.0, 86400.0);
        if (const json* a = r.object("automation")) {
            ObjectReader ar(*a, r.child("automation"));
            if (const json* g = ar.array("gain_db")) {
                const std::string gp = ar.child("gain_db");
                double last_t = -1.0;
                for (size_t i = 0; i < g->size(); ++i) {
                    const json& pt = (*g)[i];
                    const std::string pp = index_path(gp, i);
                    if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number())
                        fail_at(pp, "must be a [time_s, gain_db] pair of numbers");
                    GainPoint p{pt[0].get<double>(), pt[1].get<double>()};
                    if (!std::isfinite(p.time_s) || p.time_s < 0.0) fail_at(pp + "[0]", "time_s must be >= 0");
                    if (p.time_s < last_t) fail_at(pp + "[0]", "times must not decrease");
                    if (!std::isfinite(p.gain_db) || p.gain_db < kGainMinDb || p.gain_db > kGainMaxDb)
                        fail_at(pp + "[1]", "gain_db must be within [" + fmt_num(kGainMinDb) + ", " + fmt_num(kGainMaxDb) + "]");
                    last_t = p.time_s;
                    s.gain_automation.push_back(p);
                }
            }
            ar.finish();
        }
        if (const json* e = r.object("eq")) s.eq = eq(*e, r.child("eq"));
        if (const json* c = r.object("compressor")) s.compressor = compressor(*c, r.child("compressor"));
        if (const json* sends = r.array("sends")) {
            for (size_t i = 0; i < sends->size(); ++i) {
                ObjectReader sr((*sends)[i], index_path(r.child("sends"), i));
                SendSpec send;
                send.bus = sr.required_string("bus");
                send.level_db = sr.number("level_db", 0.0, kGainMinDb, kGainMaxDb);
                send.pre_fader = sr.boolean("pre_fader").value_or(false);
                sr.finish();
                s.sends.push_back(send);
            }
        }
        if (auto o = r.string("output")) s.output = *o;
        r.finish();
        return s;
    }

    BusSpec bus(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        BusSpec b;
        b.name = r.required_string("name");
        if (b.name.empty()) fail_at(r.child("name"), "must not be empty");
        if (b.name == kMasterBusName) fail_at(r.child("name"), "\"master\" is reserved for the master bus");
        if (const json* v = r.object("reverb")) {
            ObjectReader vr(*v, r.child("reverb"));
            ReverbSpec rv;
            rv.ir_as_written = vr.required_string("ir");
            if (rv.ir_as_written.empty()) fail_at(vr.child("ir"), "must not be empty");
            rv.ir = resolve(rv.ir_as_written);
            rv.predelay_ms = vr.number("predelay_ms", 0.0, 0.0, 1000.0);
            rv.wet_db = vr.number("wet_db", 0.0, kGainMinDb, kGainMaxDb);
            vr.finish();
            b.reverb = rv;
        }
        if (const json* e = r.object("eq")) b.eq = eq(*e, r.child("eq"));
        if (const json* c = r.object("compressor")) b.compressor = compressor(*c, r.child("compressor"));
        b.gain_db = r.number("gain_db", 0.0, kGainMinDb, kGainMaxDb);
        if (auto o = r.string("output")) b.output = *o;
        r.finish();
        return b;
    }

    std::optional<MasterPreset> preset;  // set by master(), read by export_entry()

    MasterSpec master(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        MasterSpec m;
        if (auto p = r.choice("preset", {"streaming", "apple", "ebu-r128", "atsc-a85", "cd"})) {
            m.preset = std::vector<std::string>{"streaming", "apple", "ebu-r128", "atsc-a85", "cd"}[*p];
            preset = master::preset_from_name(*m.preset);
        }
        if (const json* e = r.object("eq")) m.eq = eq(*e, r.child("eq"));
        if (const json* mb = r.object("multiband")) {
            ObjectReader mr(*mb, r.child("multiband"));
            MultibandSpec spec;
            const json* xs = mr.array("crossovers_hz");
            if (!xs) fail_at(mr.child("crossovers_hz"), "is required");
            if (xs->empty() || xs->size() > 5) fail_at(mr.child("crossovers_hz"), "must hold 1 to 5 frequencies (2 to 6 bands)");
            for (size_t i = 0; i < xs->size(); ++i) {
                const std::string xp = index_path(mr.child("crossovers_hz"), i);
                if (!(*xs)[i].is_number()) fail_at(xp, "must be a number");
                double f = (*xs)[i].get<double>();
                if (!(f >= 20.0 && f < sample_rate / 2.0)) fail_at(xp, "must be >= 20 Hz and below the Nyquist frequency");
                if (!spec.crossovers_hz.empty() && f <= spec.crossovers_hz.back()) fail_at(xp, "crossovers must ascend");
                spec.crossovers_hz.push_back(f);
            }
            const json* bands = mr.array("bands");
            if (!bands) fail_at(mr.child("bands"), "is required");
            if (bands->size() != spec.crossovers_hz.size() + 1)
                fail_at(mr.child("bands"), "must hold one entry per band: " + std::to_string(spec.crossovers_hz.size() + 1) +
                                              " for " + std::to_string(spec.crossovers_hz.size()) + " crossovers");
            for (size_t i = 0; i < bands->size(); ++i) {
                ObjectReader br((*bands)[i], index_path(mr.child("bands"), i));
                MultibandBand b;
                b.threshold_db = br.number("threshold_db", b.threshold_db, -96.0, 0.0);
                b.ratio = br.number("ratio", b.ratio, 1.0, 1000.0);
                b.knee_db = br.number("knee_db", b.knee_db, 0.0, 48.0);
                b.attack_ms = br.number("attack_ms", b.attack_ms, 0.0, 1000.0);
                b.release_ms = positive(br, "release_ms", b.release_ms, 10000.0);
                b.makeup_db = br.number("makeup_db", b.makeup_db, -48.0, 48.0);
                b.width = br.number("width", b.width, 0.0, 4.0);
                br.finish();
                spec.bands.push_back(b);
            }
            mr.finish();
            m.multiband = spec;
        }
        if (r.has("width")) m.width = r.number("width", 1.0, 0.0, 4.0);
        if (r.has("mono_below_hz")) {
            m.mono_below_hz = r.number("mono_below_hz", 100.0, 20.0, 1000.0);
            if (*m.mono_below_hz >= sample_rate / 2.0) fail_at(r.child("mono_below_hz"), "must be below the Nyquist frequency");
        }
        if (r.has("balance")) m.balance = r.number("balance", 0.0, -1.0, 1.0);
        const master::PresetDefaults* pd = preset ? &master::preset_defaults(*preset) : nullptr;
        if (const json* l = r.object("limiter")) {
            ObjectReader lr(*l, r.child("limiter"));
            LimiterSpec lim;
            if (pd) lim.ceiling_dbtp = pd->ceiling_dbtp;
            lim.ceiling_dbtp = lr.number("ceiling_dbtp", lim.ceiling_dbtp, -60.0, 0.0);
            lim.release_ms = positive(lr, "release_ms", lim.release_ms, 10000.0);
            lim.lookahead_ms = lr.number("lookahead_ms", lim.lookahead_ms, 0.0, 100.0);
            lim.max_gain_reduction_db = lr.number("max_gain_reduction_db", lim.max_gain_reduction_db, 0.0, 60.0);
            lr.finish();
            m.limiter = lim;
        } else if (pd) {
            LimiterSpec lim;
            lim.ceiling_dbtp = pd->ceiling_dbtp;
            m.limiter = lim;
        }
        if (r.has("loudness_target_lufs"))
            m.loudness_target_lufs = r.number("loudness_target_lufs", -14.0, -70.0, 0.0);
        else if (pd)
            m.loudness_target_lufs = pd->loudness_target_lufs;
        r.finish();
        return m;
    }

    DeliveryMetadata metadata(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        DeliveryMetadata md;
        // CUE sheets quote these strings and cannot escape a quote.
        auto text = [&](const char* key) {
            std::string v = r.string(key).value_or("");
            if (v.find('"') != std::string::npos || v.find('\n') != std::string::npos)
                fail_at(r.child(key), "must not contain a double quote or a line break");
            return v;
        };
        md.title = text("title");
        md.artist = text("artist");
        md.album = text("album");
        if (auto isrc = r.string("isrc")) {
            std::string v;
            for (char c : *isrc)
                if (c != '-') v += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            bool ok = v.size() == 12 && std::isalpha(static_cast<unsigned char>(v[0])) && std::isalpha(static_cast<unsigned char>(v[1]));
            for (size_t i = 2; ok && i < 5; ++i) ok = std::isalnum(static_cast<unsigned char>(v[i])) != 0;
            for (size_t i = 5; ok && i < 12; ++i) ok = std::isdigit(static_cast<unsigned char>(v[i])) != 0;
            if (!ok) fail_at(r.child("isrc"), "must be an ISRC: CC-XXX-YY-NNNNN (2 letters, 3 letters or digits, 7 digits)");
            md.isrc = v;
        }
        if (auto cat = r.string("catalog")) {
            bool ok = cat->size() == 13;
            for (char c : *cat) ok = ok && std::isdigit(static_cast<unsigned char>(c));
            if (!ok) fail_at(r.child("catalog"), "must be a 13-digit UPC/EAN catalogue number");
            md.catalog = *cat;
        }
        r.finish();
        return md;
    }

    ExportSpec export_entry(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        ExportSpec e;
        e.file_as_written = r.required_string("file");
        if (e.file_as_written.empty()) fail_at(r.child("file"), "must not be empty");
        e.file = resolve(e.file_as_written);
        if (auto f = r.choice("format", {"wav", "bwf", "flac", "aiff", "rf64"})) {
            static constexpr ExportFormat kFormats[] = {ExportFormat::Wav, ExportFormat::Bwf, ExportFormat::Flac,
                                                        ExportFormat::Aiff, ExportFormat::Rf64};
            e.format = kFormats[*f];
        } else if (auto inferred = format_from_extension(e.file)) {
            e.format = *inferred;
        } else {
            fail_at(r.child("format"), "is required when the file name does not end in .wav, .flac, .aif, .aiff or .rf64");
        }
        if (auto b = r.integer("bit_depth")) {
            if (*b != 16 && *b != 24 && *b != 32) fail_at(r.child("bit_depth"), "must be 16, 24 or 32");
            e.bit_depth = static_cast<int>(*b);
        }
        if (e.format == ExportFormat::Flac && e.bit_depth == 32)
            fail_at(r.child("bit_depth"), "FLAC holds integer PCM only: use 16 or 24");
        if (auto sr = r.integer("sample_rate")) {
            if (*sr < 8000 || *sr > 384000) fail_at(r.child("sample_rate"), "must be within [8000, 384000]");
            e.sample_rate = static_cast<int>(*sr);
        }
        if (auto cue = r.boolean("cue_sheet")) e.cue_sheet = *cue;
        if (preset)
            master::apply_preset_export_defaults(e, *preset, r.has("format"), r.has("bit_depth"), r.has("sample_rate"),
                                                 r.has("cue_sheet"));
        if (e.format == ExportFormat::Flac && e.bit_depth == 32)
            fail_at(r.child("bit_depth"), "FLAC holds integer PCM only: use 16 or 24");
        auto d = r.choice("dither", {"none", "tpdf", "tpdf-shaped"});
        if (e.bit_depth == 32) {
            if (d && *d != 0) fail_at(r.child("dither"), "float output (bit_depth 32) is never dithered");
            e.dither = Dither::None;
        } else if (d) {
            static constexpr Dither kDither[] = {Dither::None, Dither::Tpdf, Dither::TpdfShaped};
            e.dither = kDither[*d];
        }
        r.finish();
        return e;
    }

    Session session(const json& root) {
        ObjectReader r(root, "");
        auto format = r.string("format");
        if (!format) fail_at("format", "is required (\"stemforge-session\")");
        if (*format != "stemforge-session") fail_at("format", "must be \"stemforge-session\", not \"" + *format + "\"");
        auto version = r.integer("version");
        if (!version) fail_at("version", "is required (1)");
        if (*version != 1) fail_at("version", "unsupported version " + std::to_string(*version) + " (this build reads 1)");

        Session s;
        if (auto sr = r.integer("sample_rate")) {
            if (*sr < 8000 || *sr > 384000) fail_at("sample_rate", "must be within [8000, 384000]");
            s.sample_rate = static_cast<int>(*sr);
        }
        sample_rate = s.sample_rate;

        const json* stems = r.array("stems");
        if (!stems) fail_at("stems", "is required");
        if (stems->empty()) fail_at("stems", "must hold at least one stem");
        for (size_t i = 0; i < stems->size(); ++i) s.stems.push_back(stem((*stems)[i], index_path("stems", i)));
        if (const json* buses = r.array("buses"))
            for (size_t i = 0; i < buses->size(); ++i) s.buses.push_back(bus((*buses)[i], index_path("buses", i)));
        if (const json* m = r.object("master")) s.master = master(*m, "master");
        if (const json* md = r.object("metadata")) s.metadata = metadata(*md, "metadata");
        if (const json* ex = r.array("export"))
            for (size_t i = 0; i < ex->size(); ++i) s.exports.push_back(export_entry((*ex)[i], index_path("export", i)));
        r.finish();

        check_names_and_routing(s);
        return s;
    }

    static void check_names_and_routing(const Session& s) {
        std::map<std::string, size_t> stem_index, bus_index;
        for (size_t i = 0; i < s.stems.size(); ++i) {
            auto [it, fresh] = stem_index.emplace(s.stems[i].name, i);
            if (!fresh)
                fail_at(index_path("stems", i) + ".name",
                        "duplicate stem name \"" + s.stems[i].name + "\" (also stems[" + std::to_string(it->second) + "])");
        }
        for (size_t i = 0; i < s.buses.size(); ++i) {
            auto [it, fresh] = bus_index.emplace(s.buses[i].name, i);
            if (!fresh)
                fail_at(index_path("buses", i) + ".name",
                        "duplicate bus name \"" + s.buses[i].name + "\" (also buses[" + std::to_string(it->second) + "])");
        }
        auto check_target = [&](const std::string& target, const std::string& path) {
            if (target != kMasterBusName && !bus_index.count(target))
                fail_at(path, "unknown bus \"" + target + "\" (a bus name or \"master\")");
        };
        for (size_t i = 0; i < s.stems.size(); ++i) {
            check_target(s.stems[i].output, index_path("stems", i) + ".output");
            for (size_t k = 0; k < s.stems[i].sends.size(); ++k) {
                const std::string& target = s.stems[i].sends[k].bus;
                const std::string sp = index_path(index_path("stems", i) + ".sends", k) + ".bus";
                if (target == kMasterBusName) fail_at(sp, "a send goes to a bus, not to \"master\" (use output)");
                check_target(target, sp);
            }
        }
        for (size_t i = 0; i < s.buses.size(); ++i) check_target(s.buses[i].output, index_path("buses", i) + ".output");

        // Bus -> bus routing must be acyclic: follow each bus's output chain.
        for (size_t i = 0; i < s.buses.size(); ++i) {
            std::vector<std::string> chain{s.buses[i].name};
            std::string next = s.buses[i].output;
            while (next != kMasterBusName) {
                if (next == s.buses[i].name) {
                    std::string cycle;
                    for (const auto& n : chain) cycle += n + " -> ";
                    fail_at(index_path("buses", i) + ".output", "routing cycle " + cycle + next);
                }
                if (chain.size() > s.buses.size()) break;  // a cycle not through bus i; found from its own start
                chain.push_back(next);
                next = s.buses[bus_index.at(next)].output;
            }
        }
    }
};

}  // namespace

const BusSpec* Session::find_bus(const std::string& name) const {
    for (const auto& b : buses)
        if (b.name == name) return &b;
    return nullptr;
}

Result<Session> parse_session(const std::string& text, const std::filesystem::path& base_dir, const std::string& origin) {
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        // nlohmann's message starts "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        std::string what = e.what();
        auto pos = what.find("] ");
        return fail(ErrorCode::InvalidSession, origin + ": malformed JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
    }
    try {
        Parser parser;
        parser.base_dir = base_dir;
        return parser.session(root);
    } catch (const ParseFailure& f) {
        return fail(ErrorCode::InvalidSession, origin + ": " + f.message);
    }
}

Result<Session> load_session(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    if (std::filesystem::is_directory(file, ec)) return fail(ErrorCode::FileRead, file.string() + ": is a directory, not a session file");
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorCode::FileRead, file.string() + ": cannot open for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail(ErrorCode::FileRead, file.string() + ": read error");
    auto base = std::filesystem::absolute(file, ec).parent_path();
    auto session = parse_session(text.str(), base, file.string());
    if (session) session->file = file;
    return session;
}

const char* to_string(EqBandType type) {
    switch (type) {
        case EqBandType::Bell: return "bell";
        case EqBandType::LowShelf: return "lowshelf";
        case EqBandType::HighShelf: return "highshelf";
        case EqBandType::Notch: return "notch";
        case EqBandType::Bandpass: return "bandpass";
        case EqBandType::Highpass: return "highpass";
        case EqBandType::Lowpass: return "lowpass";
    }
    return "?";
}

const char* to_string(ExportFormat format) {
    switch (format) {
        case ExportFormat::Wav: return "wav";
        case ExportFormat::Bwf: return "bwf";
        case ExportFormat::Flac: return "flac";
        case ExportFormat::Aiff: return "aiff";
        case ExportFormat::Rf64: return "rf64";
    }
    return "?";
}

const char* to_string(Dither dither) {
    switch (dither) {
        case Dither::None: return "none";
        case Dither::Tpdf: return "tpdf";
        case Dither::TpdfShaped: return "tpdf-shaped";
    }
    return "?";
}

std::optional<ExportFormat> format_from_extension(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".wav") return ExportFormat::Wav;
    if (ext == ".flac") return ExportFormat::Flac;
    if (ext == ".aif" || ext == ".aiff") return ExportFormat::Aiff;
    if (ext == ".rf64") return ExportFormat::Rf64;
    return std::nullopt;
}

}  // namespace sf
