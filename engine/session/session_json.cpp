// Session file v1: parsing, validation and writing back, in one place.
//
// Each block of the file has one schema table (a `Field<T>` per key: name,
// unit, rule, range, enum names, and the model member it fills). The same
// table drives the reader (types, ranges, required keys, defaults), the
// writer (to_json) and the enum names (to_string). A default is the model's
// member initialiser (`T{}.*member`), so it exists once. What a table cannot
// say (nested blocks, arrays, rules across keys, preset defaults, routing) is
// written by hand next to the table it extends, reader and writer together.
//
// The reader walks the JSON with a path-tracking reader. A rule that fails
// throws a private ParseFailure carrying "<json.path>: <rule>". Every error of
// a file is reported at once: the reader catches a failure at the smallest
// unit that can go on without it (one key, one array element, one block,
// one cross-block rule), records it and reads on; the public entry points
// return all of them, one per line, in file order. Rules across blocks
// (names, routing, sidechains) run only when every block read cleanly: on a
// half-read model they would report errors that are not in the file.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "engine/core/input_file.h"
#include "engine/core/message_name.h"
#include "engine/master/preset.h"
#include "engine/session/session.h"
#include "engine/session/session_blocks.h"

namespace sf {

// ---- enum names (indexed by the enumerator's value) -----------------------

namespace {
constexpr std::array<std::string_view, 7> kEqBandTypeNames{"bell", "lowshelf", "highshelf", "notch",
                                                           "bandpass", "highpass", "lowpass"};
constexpr std::array<std::string_view, 2> kEqModeNames{"linear", "minimum"};
constexpr std::array<std::string_view, 2> kDetectorNames{"peak", "rms"};
constexpr std::array<std::string_view, 8> kExportFormatNames{"wav", "bwf", "flac", "aiff", "rf64", "mp3", "opus", "ogg"};
constexpr std::array<std::string_view, 3> kDitherNames{"none", "tpdf", "tpdf-shaped"};
constexpr std::array<std::string_view, 8> kMasterPresetNames{"streaming", "apple", "ebu-r128", "atsc-a85",
                                                              "cd",        "youtube", "radio",  "vinyl"};
constexpr std::array<std::string_view, 3> kFadeCurveNames{"linear", "equal-power", "exponential"};

// The tables above are indexed by enumerator value: the last enumerator must
// be the last name (a new enumerator without a name fails here).
static_assert(static_cast<size_t>(EqBandType::Lowpass) + 1 == kEqBandTypeNames.size());
static_assert(static_cast<size_t>(EqMode::Minimum) + 1 == kEqModeNames.size());
static_assert(static_cast<size_t>(Detector::Rms) + 1 == kDetectorNames.size());
static_assert(static_cast<size_t>(ExportFormat::Ogg) + 1 == kExportFormatNames.size());
static_assert(static_cast<size_t>(Dither::TpdfShaped) + 1 == kDitherNames.size());
static_assert(static_cast<size_t>(MasterPreset::Vinyl) + 1 == kMasterPresetNames.size());
static_assert(static_cast<size_t>(FadeCurve::Exponential) + 1 == kFadeCurveNames.size());

template <class E, size_t N>
const char* name_of(E value, const std::array<std::string_view, N>& names) {
    const auto i = static_cast<size_t>(value);
    return i < N ? names[i].data() : "?";  // the literals are NUL-terminated
}
}  // namespace

template <> std::span<const std::string_view> enum_names<EqBandType>() { return kEqBandTypeNames; }
template <> std::span<const std::string_view> enum_names<EqMode>() { return kEqModeNames; }
template <> std::span<const std::string_view> enum_names<Detector>() { return kDetectorNames; }
template <> std::span<const std::string_view> enum_names<ExportFormat>() { return kExportFormatNames; }
template <> std::span<const std::string_view> enum_names<Dither>() { return kDitherNames; }
template <> std::span<const std::string_view> enum_names<MasterPreset>() { return kMasterPresetNames; }
template <> std::span<const std::string_view> enum_names<FadeCurve>() { return kFadeCurveNames; }

const char* to_string(EqBandType type) { return name_of(type, kEqBandTypeNames); }
const char* to_string(EqMode mode) { return name_of(mode, kEqModeNames); }
const char* to_string(Detector detector) { return name_of(detector, kDetectorNames); }
const char* to_string(ExportFormat format) { return name_of(format, kExportFormatNames); }
const char* to_string(Dither dither) { return name_of(dither, kDitherNames); }
const char* to_string(MasterPreset preset) { return name_of(preset, kMasterPresetNames); }
const char* to_string(FadeCurve curve) { return name_of(curve, kFadeCurveNames); }

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;  // the writer keeps the schema's key order

struct ParseFailure {
    std::string message;
};

[[noreturn]] void fail_at(const std::string& path, const std::string& rule) {
    throw ParseFailure{escape_controls(path + ": " + rule)};  // one line, whatever the file's names and values hold
}

// The errors of the file being read (set for the duration of one parse).
// A hostile file can break a rule a million times: past kMaxReportedErrors
// the rest are counted, not kept.
constexpr size_t kMaxReportedErrors = 50;
struct ErrorLog {
    std::vector<std::string> messages;
    size_t dropped = 0;
    void add(std::string message) {
        if (messages.size() < kMaxReportedErrors) messages.push_back(std::move(message));
        else ++dropped;
    }
    bool empty() const { return messages.empty(); }
    // One line per error, each with the prefix (the file's name).
    std::string joined(const std::string& prefix) const {
        std::string text;
        for (const auto& m : messages) text += (text.empty() ? "" : "\n") + prefix + m;
        if (dropped) text += "\n" + prefix + "... and " + std::to_string(dropped) + " more errors";
        return text;
    }
};
thread_local ErrorLog* t_errors = nullptr;

// Errors so far: a block's rules across its keys run only when reading its
// keys added none (a bad value would otherwise also break the rule).
size_t error_mark() { return t_errors ? t_errors->messages.size() + t_errors->dropped : 0; }

// Runs one unit of reading; a failure inside is recorded and reading goes on.
// Outside a collecting parse (no log) the failure propagates.
template <class F>
void guard(F&& read_unit) {
    if (!t_errors) return read_unit();
    try {
        read_unit();
    } catch (ParseFailure& f) {
        t_errors->add(std::move(f.message));
    }
}

// The valid key nearest to an unknown one, for "did you mean": a key that
// starts with the unknown text ("threshold" -> "threshold_db") or is within a
// small edit distance of it (Levenshtein, at most 2 or a third of its length).
std::optional<std::string> nearest_key(const std::string& unknown, const std::vector<std::string>& valid) {
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<size_t> row(b.size() + 1);
        for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (size_t i = 1; i <= a.size(); ++i) {
            size_t diag = row[0];
            row[0] = i;
            for (size_t j = 1; j <= b.size(); ++j) {
                const size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diag = up;
            }
        }
        return row[b.size()];
    };
    if (unknown.size() > 64) return std::nullopt;  // no key is this long; spare the quadratic distance
    std::optional<std::string> best;
    size_t best_d = std::max<size_t>(2, unknown.size() / 3) + 1;
    for (const auto& key : valid) {
        if (unknown.size() >= 3 && key.rfind(unknown, 0) == 0) return key;
        const size_t d = distance(unknown, key);
        if (d < best_d) best_d = d, best = key;
    }
    return best;
}

std::string unknown_key_rule(const std::string& key, const std::vector<std::string>& valid) {
    if (auto near = nearest_key(key, valid)) return "unknown key (did you mean \"" + *near + "\"?)";
    return "unknown key";
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

std::string index_path(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// ---- JSON text -> DOM, knowing the JSON path of every value ----------------
//
// nlohmann's DOM parser reports a number literal that overflows a double
// (1e309) as out_of_range 406 with no position. This SAX handler builds the
// same DOM and keeps the path of the value being read, so that error names
// the key, like every other error of the file.
class PathTrackingDom {
public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    json root;
    std::string error;  // set when parsing failed

    bool null() { return put(nullptr); }
    bool boolean(bool v) { return put(v); }
    bool number_integer(number_integer_t v) { return put(v); }
    bool number_unsigned(number_unsigned_t v) { return put(v); }
    bool number_float(number_float_t v, const string_t&) { return put(v); }
    bool string(string_t& v) { return put(v); }
    bool binary(binary_t& v) { return put(json::binary(v)); }
    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(string_t& k) {
        frames_.back().key = k;
        return true;
    }
    bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& ex) {
        if (ex.id == 406) {  // out_of_range.406: number overflow
            // The path holds the file's keys, which may hold line breaks.
            error = escape_controls(value_path() + ": number " + token + " is out of range (beyond ±1.8e308)");
        } else {
            // "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
            std::string what = ex.what();
            auto pos = what.find("] ");
            error = escape_controls("malformed JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
        }
        return false;
    }

private:
    struct Frame {
        json* value;
        bool array;
        size_t index = 0;  // next element's index (arrays)
        std::string key;   // current key (objects)
    };
    std::vector<Frame> frames_;

    // The container a value goes into, then the slot. Pointers to ancestors
    // stay valid: only the innermost container grows while it is open.
    json* place(json&& v) {
        if (frames_.empty()) {
            root = std::move(v);
            return &root;
        }
        Frame& f = frames_.back();
        if (f.array) {
            f.value->push_back(std::move(v));
            ++f.index;
            return &f.value->back();
        }
        json& slot = (*f.value)[f.key];
        slot = std::move(v);
        return &slot;
    }
    template <class V>
    bool put(V&& v) {
        place(json(std::forward<V>(v)));
        return true;
    }
    bool open(json&& container) {
        const bool array = container.is_array();
        json* p = place(std::move(container));
        frames_.push_back({p, array, 0, {}});
        return true;
    }
    bool close() {
        frames_.pop_back();
        return true;
    }
    // The path of the value the parser is reading now.
    std::string value_path() const {
        std::string path;
        for (size_t i = 0; i < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            // An outer array holds the open container as its last element;
            // the innermost one has not placed the failing value yet.
            if (f.array) path = index_path(path, i + 1 < frames_.size() ? f.index - 1 : f.index);
            else path = path.empty() ? f.key : path + "." + f.key;
        }
        return path.empty() ? "(top level)" : path;
    }
};

// ---- the reader ------------------------------------------------------------

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

    // An integer key's value, as a double: every integer of a session file is
    // small, so the caller's range check (in double) comes before any
    // conversion to int. 1e19 or 1e300 are integral doubles that no int can
    // hold: converting them first would be undefined behaviour.
    std::optional<double> integer(const std::string& key) {
        const json* v = get(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) fail_at(child(key), std::string("must be an integer, not ") + type_name(*v));
        const double d = v->get<double>();
        if (v->is_number_float() && !(std::isfinite(d) && std::floor(d) == d))
            fail_at(child(key), "must be an integer, not a fraction");
        return d;
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

    // A string that must be one of `allowed`; returns its index.
    std::optional<size_t> choice(const std::string& key, std::span<const std::string_view> allowed) {
        auto s = string(key);
        if (!s) return std::nullopt;
        std::string list;
        for (size_t i = 0; i < allowed.size(); ++i) {
            if (*s == allowed[i]) return i;
            list += (i ? ", \"" : "\"") + std::string(allowed[i]) + "\"";
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

    // Every key not read is an error (each one reported), with the nearest
    // key this block reads as a suggestion.
    void finish() const {
        const std::vector<std::string> valid(seen_.begin(), seen_.end());
        for (auto it = j_.begin(); it != j_.end(); ++it)
            if (!seen_.count(it.key())) guard([&] { fail_at(child(message_name(it.key())), unknown_key_rule(it.key(), valid)); });
    }


private:
    const json& j_;
    std::string path_;
    std::set<std::string> seen_;
};

// ---- the schema --------------------------------------------------------------

// How a value is checked. The message of each rule is part of the contract
// (tests and users match on "<path>: <message>").
enum class Rule {
    Any,           // no check
    Closed,        // lo <= v <= hi: "must be within [lo, hi]"
    Positive,      // 0 < v <= hi: "must be > 0", "must be <= hi"
    Frequency,     // 0 < v < Nyquist
    ClosedBelowNyquist,  // lo <= v <= hi and v < Nyquist
    OffOrFrequency,  // 0 (off) or 0 < v < Nyquist
    Step,          // integer, a multiple of `step` within [lo, hi]
    Choices,       // one of `choices` (integers)
    NonEmpty,      // strings
};

// Member accessors of one model type. A path keeps its text as written and
// its resolved form; an enum is read and written through its index.
template <class T>
struct PathMember {
    std::string T::* as_written;
    std::filesystem::path T::* resolved;
};
template <class T>
struct EnumMember {
    int (*get)(const T&);
    void (*set)(T&, int);
    std::span<const std::string_view> names;
};
template <auto M, class C, class E>
EnumMember<C> make_enum_member(E C::*) {
    return {[](const C& c) { return static_cast<int>(c.*M); }, [](C& c, int v) { c.*M = static_cast<E>(v); }, enum_names<E>()};
}
template <auto M>
auto enum_member() { return make_enum_member<M>(M); }

template <class T>
using Member = std::variant<double T::*, std::optional<double> T::*, int T::*, std::optional<int> T::*, bool T::*,
                            std::string T::*, std::optional<std::string> T::*, PathMember<T>, EnumMember<T>>;

// A string key's extra check: returns the value to store (e.g. normalised)
// or fails naming `path`.
using StringCheck = std::string (*)(const std::string& path, const std::string& value);

// When to_json writes a key: when it differs from its default (Changed), or
// always (Always: keys whose absence means more than the default, e.g. an
// export's format, inferred from the file name), or when a master.preset is
// set (Preset: keys the preset would fill; explicit keys win over it).
enum class Emit { Changed, Always, Preset };

template <class T>
struct Field {
    const char* key;
    const char* unit;  // for readers of the table; "" for none
    Member<T> member;
    Rule rule = Rule::Any;
    double lo = 0.0, hi = 0.0;
    double step = 0.0;                   // Rule::Step
    std::span<const int> choices = {};   // Rule::Choices
    bool required = false;
    bool (*applies)(const T&) = nullptr;  // nullptr: always; else read only when true (else "unknown key")
    Emit emit = Emit::Changed;
    StringCheck check = nullptr;
    // For optional<string> members with names: the allowed names.
    std::span<const std::string_view> names = {};
};

constexpr double kGainMinDb = -144.0;
constexpr double kMinFrequencyHz = 1.0;  // every filter frequency
constexpr size_t kMaxEqBands = 64;        // per EQ block: more is a hostile file, not a mix (each band widens the FIR design)
constexpr double kGainMaxDb = 48.0;
constexpr std::array<int, 3> kBitDepths{16, 24, 32};

bool eq_band_is_cut(const EqBand& b) { return b.type == EqBandType::Highpass || b.type == EqBandType::Lowpass; }
bool eq_band_has_q(const EqBand& b) { return !eq_band_is_cut(b); }
bool eq_band_has_gain(const EqBand& b) {
    return b.type == EqBandType::Bell || b.type == EqBandType::LowShelf || b.type == EqBandType::HighShelf;
}

const Field<EqBand> kEqBandFields[] = {
    {.key = "type", .unit = "", .member = enum_member<&EqBand::type>(), .required = true},
    {.key = "freq_hz", .unit = "Hz", .member = &EqBand::freq_hz, .rule = Rule::Frequency, .required = true},
    {.key = "gain_db", .unit = "dB", .member = &EqBand::gain_db, .rule = Rule::Closed, .lo = -48, .hi = 48, .applies = eq_band_has_gain},
    {.key = "q", .unit = "", .member = &EqBand::q, .rule = Rule::Positive, .hi = 100, .applies = eq_band_has_q},
    {.key = "slope_db_oct", .unit = "dB/oct", .member = &EqBand::slope_db_oct, .rule = Rule::Step, .lo = 6, .hi = 48, .step = 6,
     .applies = eq_band_is_cut},
};

const Field<EqSpec> kEqFields[] = {
    {.key = "mode", .unit = "", .member = enum_member<&EqSpec::mode>()},
    // "bands": by hand
};

const Field<CompressorSpec> kCompressorFields[] = {
    {.key = "threshold_db", .unit = "dBFS", .member = &CompressorSpec::threshold_db, .rule = Rule::Closed, .lo = -96, .hi = 0},
    {.key = "ratio", .unit = "", .member = &CompressorSpec::ratio, .rule = Rule::Closed, .lo = 1, .hi = 1000},
    {.key = "knee_db", .unit = "dB", .member = &CompressorSpec::knee_db, .rule = Rule::Closed, .lo = 0, .hi = 48},
    {.key = "attack_ms", .unit = "ms", .member = &CompressorSpec::attack_ms, .rule = Rule::Closed, .lo = 0, .hi = 1000},
    {.key = "release_ms", .unit = "ms", .member = &CompressorSpec::release_ms, .rule = Rule::Positive, .hi = 10000},
    {.key = "makeup_db", .unit = "dB", .member = &CompressorSpec::makeup_db, .rule = Rule::Closed, .lo = -48, .hi = 48},
    {.key = "detector", .unit = "", .member = enum_member<&CompressorSpec::detector>()},
    {.key = "sidechain", .unit = "stem or bus name", .member = &CompressorSpec::sidechain},
    // "sidechain_eq": by hand
};

const Field<ChorusSpec> kChorusFields[] = {
    {.key = "rate_hz", .unit = "Hz", .member = &ChorusSpec::rate_hz, .rule = Rule::Closed, .lo = 0.01, .hi = 20},
    {.key = "depth_ms", .unit = "ms", .member = &ChorusSpec::depth_ms, .rule = Rule::Closed, .lo = 0, .hi = 20},
    {.key = "delay_ms", .unit = "ms", .member = &ChorusSpec::delay_ms, .rule = Rule::Closed, .lo = 0.5, .hi = 50},
    {.key = "voices", .unit = "", .member = &ChorusSpec::voices, .rule = Rule::Step, .lo = 1, .hi = 8, .step = 1},
    {.key = "mix", .unit = "", .member = &ChorusSpec::mix, .rule = Rule::Closed, .lo = 0, .hi = 1},
    {.key = "stereo_phase_deg", .unit = "deg", .member = &ChorusSpec::stereo_phase_deg, .rule = Rule::Closed, .lo = 0, .hi = 360},
};

std::string note_value(const std::string& path, const std::string& v) {
    if (!note_whole_notes(v))
        fail_at(path, "must be a note value 1/1 .. 1/32 (1/1, 1/2, 1/4, 1/8, 1/16, 1/32), optionally dotted (d) or triplet (t), not \"" + v + "\"");
    return v;
}

const Field<DelaySpec> kDelayFields[] = {
    {.key = "time_ms", .unit = "ms", .member = &DelaySpec::time_ms, .rule = Rule::Positive, .hi = 10000},
    {.key = "note", .unit = "", .member = &DelaySpec::note, .check = note_value},
    {.key = "feedback", .unit = "", .member = &DelaySpec::feedback, .rule = Rule::Closed, .lo = 0, .hi = 0.95},
    {.key = "pingpong", .unit = "", .member = &DelaySpec::pingpong},
    {.key = "lowcut_hz", .unit = "Hz", .member = &DelaySpec::lowcut_hz, .rule = Rule::OffOrFrequency},
    {.key = "highcut_hz", .unit = "Hz", .member = &DelaySpec::highcut_hz, .rule = Rule::OffOrFrequency},
    {.key = "wet_db", .unit = "dB", .member = &DelaySpec::wet_db, .rule = Rule::Closed, .lo = kGainMinDb, .hi = kGainMaxDb},
};

const Field<SendSpec> kSendFields[] = {
    {.key = "bus", .unit = "", .member = &SendSpec::bus, .required = true, .emit = Emit::Always},
    {.key = "level_db", .unit = "dB", .member = &SendSpec::level_db, .rule = Rule::Closed, .lo = kGainMinDb, .hi = kGainMaxDb},
    {.key = "pre_fader", .unit = "", .member = &SendSpec::pre_fader},
};

const Field<StemSpec> kStemFields[] = {
    {.key = "name", .unit = "", .member = &StemSpec::name, .rule = Rule::NonEmpty, .required = true},
    {.key = "file", .unit = "path", .member = PathMember<StemSpec>{&StemSpec::file_as_written, &StemSpec::file},
     .rule = Rule::NonEmpty, .required = true},
    {.key = "gain_db", .unit = "dB", .member = &StemSpec::gain_db, .rule = Rule::Closed, .lo = kGainMinDb, .hi = kGainMaxDb},
    {.key = "pan", .unit = "", .member = &StemSpec::pan, .rule = Rule::Closed, .lo = -1, .hi = 1},
    {.key = "mute", .unit = "", .member = &StemSpec::mute},
    {.key = "solo", .unit = "", .member = &StemSpec::solo},
    {.key = "polarity_invert", .unit = "", .member = &StemSpec::polarity_invert},
    {.key = "offset_s", .unit = "s", .member = &StemSpec::offset_s, .rule = Rule::Closed, .lo = 0, .hi = 86400},
    {.key = "fade_in_s", .unit = "s", .member = &StemSpec::fade_in_s, .rule = Rule::Closed, .lo = 0, .hi = 86400},
    {.key = "fade_out_s", .unit = "s", .member = &StemSpec::fade_out_s, .rule = Rule::Closed, .lo = 0, .hi = 86400},
    {.key = "width", .unit = "", .member = &StemSpec::width, .rule = Rule::Closed, .lo = 0, .hi = 4},
    // "automation", "eq", "compressor", "chorus", "sends": by hand
    {.key = "output", .unit = "bus name", .member = &StemSpec::output},
};

const Field<ReverbSpec> kReverbFields[] = {
    {.key = "ir", .unit = "path", .member = PathMember<ReverbSpec>{&ReverbSpec::ir_as_written, &ReverbSpec::ir},
     .rule = Rule::NonEmpty, .required = true},
    {.key = "predelay_ms", .unit = "ms", .member = &ReverbSpec::predelay_ms, .rule = Rule::Closed, .lo = 0, .hi = 1000},
    {.key = "wet_db", .unit = "dB", .member = &ReverbSpec::wet_db, .rule = Rule::Closed, .lo = kGainMinDb, .hi = kGainMaxDb},
};

const Field<BusSpec> kBusFields[] = {
    {.key = "name", .unit = "", .member = &BusSpec::name, .rule = Rule::NonEmpty, .required = true},
    // "delay", "reverb", "eq", "compressor", "chorus": by hand
    {.key = "width", .unit = "", .member = &BusSpec::width, .rule = Rule::Closed, .lo = 0, .hi = 4},
    // "automation": by hand
    {.key = "gain_db", .unit = "dB", .member = &BusSpec::gain_db, .rule = Rule::Closed, .lo = kGainMinDb, .hi = kGainMaxDb},
    {.key = "output", .unit = "bus name", .member = &BusSpec::output},
};

const Field<MultibandBand> kMultibandBandFields[] = {
    {.key = "threshold_db", .unit = "dBFS", .member = &MultibandBand::threshold_db, .rule = Rule::Closed, .lo = -96, .hi = 0},
    {.key = "ratio", .unit = "", .member = &MultibandBand::ratio, .rule = Rule::Closed, .lo = 1, .hi = 1000},
    {.key = "knee_db", .unit = "dB", .member = &MultibandBand::knee_db, .rule = Rule::Closed, .lo = 0, .hi = 48},
    {.key = "attack_ms", .unit = "ms", .member = &MultibandBand::attack_ms, .rule = Rule::Closed, .lo = 0, .hi = 1000},
    {.key = "release_ms", .unit = "ms", .member = &MultibandBand::release_ms, .rule = Rule::Positive, .hi = 10000},
    {.key = "makeup_db", .unit = "dB", .member = &MultibandBand::makeup_db, .rule = Rule::Closed, .lo = -48, .hi = 48},
    {.key = "width", .unit = "", .member = &MultibandBand::width, .rule = Rule::Closed, .lo = 0, .hi = 4},
};

const Field<LimiterSpec> kLimiterFields[] = {
    {.key = "ceiling_dbtp", .unit = "dBTP", .member = &LimiterSpec::ceiling_dbtp, .rule = Rule::Closed, .lo = -60, .hi = 0,
     .emit = Emit::Preset},
    {.key = "release_ms", .unit = "ms", .member = &LimiterSpec::release_ms, .rule = Rule::Positive, .hi = 10000},
    {.key = "lookahead_ms", .unit = "ms", .member = &LimiterSpec::lookahead_ms, .rule = Rule::Closed, .lo = 0, .hi = 100},
    {.key = "max_gain_reduction_db", .unit = "dB", .member = &LimiterSpec::max_gain_reduction_db, .rule = Rule::Closed,
     .lo = 0, .hi = 60},
};

const Field<MasterSpec> kMasterFields[] = {
    {.key = "preset", .unit = "", .member = &MasterSpec::preset, .names = kMasterPresetNames},
    // "eq", "multiband": by hand
    {.key = "width", .unit = "", .member = &MasterSpec::width, .rule = Rule::Closed, .lo = 0, .hi = 4},
    {.key = "mono_below_hz", .unit = "Hz", .member = &MasterSpec::mono_below_hz, .rule = Rule::ClosedBelowNyquist, .lo = 20, .hi = 1000},
    {.key = "balance", .unit = "", .member = &MasterSpec::balance, .rule = Rule::Closed, .lo = -1, .hi = 1},
    // "limiter": by hand
    {.key = "loudness_target_lufs", .unit = "LUFS", .member = &MasterSpec::loudness_target_lufs, .rule = Rule::Closed,
     .lo = -70, .hi = 0},
    // "match_eq": by hand
    {.key = "fade_in_s", .unit = "s", .member = &MasterSpec::fade_in_s, .rule = Rule::Closed, .lo = 0, .hi = 3600},
    {.key = "fade_out_s", .unit = "s", .member = &MasterSpec::fade_out_s, .rule = Rule::Closed, .lo = 0, .hi = 3600},
    {.key = "fade_curve", .unit = "", .member = enum_member<&MasterSpec::fade_curve>()},
    {.key = "trim_start_s", .unit = "s", .member = &MasterSpec::trim_start_s, .rule = Rule::Closed, .lo = 0, .hi = 86400},
    {.key = "trim_end_s", .unit = "s", .member = &MasterSpec::trim_end_s, .rule = Rule::Closed, .lo = 0, .hi = 86400},
    {.key = "trim_silence_db", .unit = "dBFS", .member = &MasterSpec::trim_silence_db, .rule = Rule::Closed, .lo = -144, .hi = 0},
    {.key = "trim_silence_preroll_s", .unit = "s", .member = &MasterSpec::trim_silence_preroll_s, .rule = Rule::Closed, .lo = 0,
     .hi = 10},
};

const Field<MatchEqSpec> kMatchEqFields[] = {
    {.key = "reference", .unit = "path", .member = PathMember<MatchEqSpec>{&MatchEqSpec::reference_as_written, &MatchEqSpec::reference},
     .rule = Rule::NonEmpty, .required = true},
    {.key = "amount", .unit = "", .member = &MatchEqSpec::amount, .rule = Rule::Closed, .lo = 0, .hi = 1},
    {.key = "smoothing_oct", .unit = "oct", .member = &MatchEqSpec::smoothing_oct, .rule = Rule::Closed, .lo = 0.05, .hi = 2},
    {.key = "max_db", .unit = "dB", .member = &MatchEqSpec::max_db, .rule = Rule::Closed, .lo = 0, .hi = 24},
};

// Any UTF-8 text, quotes included (each format escapes what it must: a CUE
// sheet's quotes, for one); control characters (line breaks, ESC, NUL) have
// no place in a tag and would reach terminals and sheets raw.
std::string tag_text(const std::string& path, const std::string& v) {
    for (unsigned char c : v)
        if (c < 0x20 || c == 0x7f) fail_at(path, "must not contain control characters (line breaks, tabs, ESC, NUL)");
    return v;
}
// "YYYY"
std::string year_text(const std::string& path, const std::string& v) {
    const bool ok = v.size() == 4 && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!ok) fail_at(path, "must be a year of 4 digits, e.g. \"2026\"");
    return v;
}
// ISO 8601: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS", a real calendar date.
std::string iso_date(const std::string& path, const std::string& v) {
    auto digits = [&](size_t at, size_t n) {
        int x = 0;
        for (size_t i = at; i < at + n; ++i) {
            if (i >= v.size() || !std::isdigit(static_cast<unsigned char>(v[i]))) return -1;
            x = x * 10 + (v[i] - '0');
        }
        return x;
    };
    const int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2);
    bool ok = (v.size() == 10 || v.size() == 19) && v[4] == '-' && v[7] == '-' && y >= 0 && mo >= 1 && mo <= 12 && d >= 1;
    if (ok) {
        static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        ok = d <= kDays[mo - 1] && !(mo == 2 && d == 29 && !leap);
    }
    if (ok && v.size() == 19) {
        const int h = digits(11, 2), mi = digits(14, 2), se = digits(17, 2);
        ok = v[10] == 'T' && v[13] == ':' && v[16] == ':' && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 && se <= 59;
    }
    if (!ok) fail_at(path, "must be an ISO 8601 date \"YYYY-MM-DD\" or date-time \"YYYY-MM-DDTHH:MM:SS\"");
    return v;
}
// ISRC: stored without hyphens, upper case (so it writes back as stored).
std::string isrc_code(const std::string& path, const std::string& text) {
    std::string v;
    for (char c : text)
        if (c != '-') v += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool ok = v.size() == 12 && std::isalpha(static_cast<unsigned char>(v[0])) && std::isalpha(static_cast<unsigned char>(v[1]));
    for (size_t i = 2; ok && i < 5; ++i) ok = std::isalnum(static_cast<unsigned char>(v[i])) != 0;
    for (size_t i = 5; ok && i < 12; ++i) ok = std::isdigit(static_cast<unsigned char>(v[i])) != 0;
    if (!ok) fail_at(path, "must be an ISRC: CC-XXX-YY-NNNNN (2 letters, 3 letters or digits, 7 digits)");
    return v;
}
std::string catalog_number(const std::string& path, const std::string& v) {
    bool ok = v.size() == 13;
    for (char c : v) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (!ok) fail_at(path, "must be a 13-digit UPC/EAN catalogue number");
    return v;
}

const Field<DeliveryMetadata> kMetadataFields[] = {
    {.key = "title", .unit = "", .member = &DeliveryMetadata::title, .check = tag_text},
    {.key = "artist", .unit = "", .member = &DeliveryMetadata::artist, .check = tag_text},
    {.key = "album", .unit = "", .member = &DeliveryMetadata::album, .check = tag_text},
    // "year": by hand (a string or a number)
    {.key = "track", .unit = "", .member = &DeliveryMetadata::track, .rule = Rule::Step, .lo = 1, .hi = 99, .step = 1},
    {.key = "composer", .unit = "", .member = &DeliveryMetadata::composer, .check = tag_text},
    {.key = "copyright", .unit = "", .member = &DeliveryMetadata::copyright, .check = tag_text},
    {.key = "date", .unit = "ISO 8601", .member = &DeliveryMetadata::date, .check = iso_date},
    {.key = "isrc", .unit = "", .member = &DeliveryMetadata::isrc, .check = isrc_code},
    {.key = "catalog", .unit = "", .member = &DeliveryMetadata::catalog, .check = catalog_number},
};
const Field<DeliveryMetadata> kMetadataYearField = {.key = "year", .unit = "", .member = &DeliveryMetadata::year,
                                                     .check = year_text};

bool export_is_lossy(const ExportSpec& e) { return is_lossy(e.format); }
bool export_is_pcm(const ExportSpec& e) { return !is_lossy(e.format); }

// "file" and "format" come first: the format (written or inferred from the
// file name) decides which of the other keys apply.
constexpr size_t kExportHeadFields = 2;
const Field<ExportSpec> kExportFields[] = {
    {.key = "file", .unit = "path", .member = PathMember<ExportSpec>{&ExportSpec::file_as_written, &ExportSpec::file},
     .rule = Rule::NonEmpty, .required = true},
    // absent: inferred from the file name (by hand)
    {.key = "format", .unit = "", .member = enum_member<&ExportSpec::format>(), .emit = Emit::Always},
    {.key = "bit_depth", .unit = "bit", .member = &ExportSpec::bit_depth, .rule = Rule::Choices, .choices = kBitDepths,
     .applies = export_is_pcm, .emit = Emit::Always},
    {.key = "sample_rate", .unit = "Hz", .member = &ExportSpec::sample_rate, .rule = Rule::Closed, .lo = 8000, .hi = 384000},
    {.key = "dither", .unit = "", .member = enum_member<&ExportSpec::dither>(), .applies = export_is_pcm, .emit = Emit::Always},
    {.key = "cue_sheet", .unit = "", .member = &ExportSpec::cue_sheet, .applies = export_is_pcm, .emit = Emit::Preset},
    {.key = "bitrate_kbps", .unit = "kbit/s", .member = &ExportSpec::bitrate_kbps, .rule = Rule::Closed, .lo = 6, .hi = 510,
     .applies = export_is_lossy},
    {.key = "quality", .unit = "", .member = &ExportSpec::quality, .rule = Rule::Closed, .lo = 0, .hi = 1, .applies = export_is_lossy},
    {.key = "preset", .unit = "", .member = &ExportSpec::preset, .names = kMasterPresetNames},
    {.key = "loudness_target_lufs", .unit = "LUFS", .member = &ExportSpec::loudness_target_lufs, .rule = Rule::Closed, .lo = -70,
     .hi = 0},
    {.key = "ceiling_dbtp", .unit = "dBTP", .member = &ExportSpec::ceiling_dbtp, .rule = Rule::Closed, .lo = -60, .hi = 0},
};

// MPEG-1 Layer III bit rates (ISO/IEC 11172-3) and sample rates (with the
// MPEG-2 LSF rates lame also writes); the rates an Opus stream holds (RFC 6716).
constexpr std::array<int, 14> kMp3Bitrates{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
constexpr std::array<int, 6> kMp3Rates{16000, 22050, 24000, 32000, 44100, 48000};
constexpr std::array<int, 5> kOpusRates{8000, 12000, 16000, 24000, 48000};

const Field<Session> kSessionFields[] = {
    // "format", "version": by hand (constants)
    {.key = "sample_rate", .unit = "Hz", .member = &Session::sample_rate, .rule = Rule::Closed, .lo = 8000, .hi = 384000,
     .emit = Emit::Always},
    {.key = "tempo_bpm", .unit = "BPM", .member = &Session::tempo_bpm, .rule = Rule::Closed, .lo = 20, .hi = 400},
    // "stems", "buses", "master", "metadata", "export": by hand
};

// ---- the table-driven reader and writer --------------------------------------

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};

struct Reader {
    std::filesystem::path base_dir;
    int sample_rate = 48000;

    std::filesystem::path resolve(const std::string& p) const {
        std::filesystem::path path(p);
        return path.is_absolute() ? path : base_dir / path;
    }

    template <class T>
    void check_number(const Field<T>& f, const std::string& path, double v) const {
        const double nyquist = sample_rate / 2.0;
        switch (f.rule) {
            case Rule::Closed:
                if (v < f.lo || v > f.hi) fail_at(path, "must be within [" + fmt_num(f.lo) + ", " + fmt_num(f.hi) + "]");
                break;
            case Rule::Positive:
                if (!(v > 0.0)) fail_at(path, "must be > 0");
                if (v > f.hi) fail_at(path, "must be <= " + fmt_num(f.hi));
                break;
            case Rule::Frequency:
                if (!(v > 0.0 && v < nyquist))
                    fail_at(path, "must be > 0 and below the Nyquist frequency (" + fmt_num(nyquist) + " Hz)");
                // Below 1 Hz no filter design is meaningful (1e-9 Hz made NaN taps).
                if (v < kMinFrequencyHz) fail_at(path, "must be at least " + fmt_num(kMinFrequencyHz) + " Hz");
                break;
            case Rule::OffOrFrequency:
                if (v != 0.0 && !(v > 0.0 && v < nyquist))
                    fail_at(path, "must be 0 (off) or > 0 and below the Nyquist frequency (" + fmt_num(nyquist) + " Hz)");
                if (v != 0.0 && v < kMinFrequencyHz) fail_at(path, "must be 0 (off) or at least " + fmt_num(kMinFrequencyHz) + " Hz");
                break;
            case Rule::ClosedBelowNyquist:
                if (v < f.lo || v > f.hi) fail_at(path, "must be within [" + fmt_num(f.lo) + ", " + fmt_num(f.hi) + "]");
                if (v >= nyquist) fail_at(path, "must be below the Nyquist frequency");
                break;
            case Rule::Step:
                if (v < f.lo || v > f.hi || std::fmod(v, f.step) != 0.0)
                    fail_at(path, "must be a multiple of " + fmt_num(f.step) + " within [" + fmt_num(f.lo) + ", " + fmt_num(f.hi) + "]");
                break;
            case Rule::Choices: {
                if (std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end()) {
                    std::string list;
                    for (size_t i = 0; i < f.choices.size(); ++i)
                        list += (i == 0 ? "" : i + 1 == f.choices.size() ? " or " : ", ") + std::to_string(f.choices[i]);
                    fail_at(path, "must be " + list);
                }
                break;
            }
            case Rule::Any:
            case Rule::NonEmpty: break;
        }
    }

    // Reads one key into `obj`; an absent key leaves the member as it is
    // (its default, or what a preset put there).
    template <class T>
    void read(ObjectReader& r, const Field<T>& f, T& obj) const {
        if (f.applies && !f.applies(obj)) return;  // not read: "unknown key" if present
        const std::string path = r.child(f.key);
        if (f.required && !r.has(f.key)) fail_at(path, "is required");
        auto text = [&]() -> std::optional<std::string> {
            auto s = r.string(f.key);
            if (!s) return s;
            if (f.rule == Rule::NonEmpty && s->empty()) fail_at(path, "must not be empty");
            return f.check ? f.check(path, *s) : *s;
        };
        std::visit(Overloaded{
                       [&](double T::* m) {
                           if (auto v = r.number(f.key)) check_number(f, path, *v), obj.*m = *v;
                       },
                       [&](std::optional<double> T::* m) {
                           if (auto v = r.number(f.key)) check_number(f, path, *v), obj.*m = *v;
                       },
                       [&](int T::* m) {
                           // The rule bounds the value within int before the conversion.
                           if (auto v = r.integer(f.key)) check_number(f, path, *v), obj.*m = static_cast<int>(*v);
                       },
                       [&](std::optional<int> T::* m) {
                           if (auto v = r.integer(f.key)) check_number(f, path, *v), obj.*m = static_cast<int>(*v);
                       },
                       [&](bool T::* m) {
                           if (auto v = r.boolean(f.key)) obj.*m = *v;
                       },
                       [&](std::string T::* m) {
                           if (auto v = text()) obj.*m = *v;
                       },
                       [&](std::optional<std::string> T::* m) {
                           if (f.names.empty()) {
                               if (auto v = text()) obj.*m = *v;
                           } else if (auto i = r.choice(f.key, f.names)) {
                               obj.*m = std::string(f.names[*i]);
                           }
                       },
                       [&](const PathMember<T>& m) {
                           if (auto v = text()) obj.*m.as_written = *v, obj.*m.resolved = resolve(*v);
                       },
                       [&](const EnumMember<T>& m) {
                           if (auto i = r.choice(f.key, m.names)) m.set(obj, static_cast<int>(*i));
                       },
                   },
                   f.member);
    }

    template <class T, size_t N>
    void read_all(ObjectReader& r, const Field<T> (&fields)[N], T& obj) const {
        for (const auto& f : fields) guard([&] { read(r, f, obj); });
    }

    // A block made of its schema's keys and nothing else (a send, a reverb,
    // a multiband band): read every key, refuse any other.
    template <class T, size_t N>
    T flat_block(const json& j, const std::string& path, const Field<T> (&fields)[N]) const {
        ObjectReader r(j, path);
        T obj;
        read_all(r, fields, obj);
        r.finish();
        return obj;
    }
};

// Writes the keys of `fields` that apply and are not at their default.
template <class T, size_t N>
void write_all(ojson& j, const Field<T> (&fields)[N], const T& obj, bool preset_active) {
    static const T kDefault{};
    for (const auto& f : fields) {
        if (f.applies && !f.applies(obj)) continue;
        const bool force = f.required || f.emit == Emit::Always || (f.emit == Emit::Preset && preset_active);
        std::visit(Overloaded{
                       [&](auto T::* m) {
                           using V = std::remove_cvref_t<decltype(obj.*m)>;
                           if constexpr (std::is_same_v<V, std::optional<double>> || std::is_same_v<V, std::optional<int>> ||
                                         std::is_same_v<V, std::optional<std::string>>) {
                               if (obj.*m) j[f.key] = *(obj.*m);  // present = written
                           } else {
                               if (force || !(obj.*m == kDefault.*m)) j[f.key] = obj.*m;
                           }
                       },
                       [&](const PathMember<T>& m) { j[f.key] = obj.*m.as_written; },
                       [&](const EnumMember<T>& m) {
                           if (force || m.get(obj) != m.get(kDefault)) j[f.key] = m.names[static_cast<size_t>(m.get(obj))];
                       },
                   },
                   f.member);
    }
}

// ---- the session blocks: tables plus what a table cannot say ------------------

struct Parser : Reader {
    std::optional<MasterPreset> preset;  // set by master(), read by export_entry()

    EqSpec eq(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        EqSpec spec;
        read_all(r, kEqFields, spec);
        if (const json* bands = r.array("bands")) {
            if (bands->size() > kMaxEqBands) fail_at(r.child("bands"), "must hold at most " + std::to_string(kMaxEqBands) + " bands");
            for (size_t i = 0; i < bands->size(); ++i)
                guard([&] { spec.bands.push_back(band((*bands)[i], index_path(path + ".bands", i))); });
        }
        r.finish();
        return spec;
    }

    // Keys that do not apply to a band's type are unknown keys (flat_block refuses them).
    EqBand band(const json& j, const std::string& path) { return flat_block(j, path, kEqBandFields); }

    CompressorSpec compressor(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        CompressorSpec c;
        read_all(r, kCompressorFields, c);
        guard([&] {
            if (const json* e = r.object("sidechain_eq")) c.sidechain_eq = eq(*e, r.child("sidechain_eq"));
        });
        r.finish();
        return c;
    }

    ChorusSpec chorus(const json& j, const std::string& path) {
        const size_t mark = error_mark();
        ChorusSpec c = flat_block(j, path, kChorusFields);
        if (error_mark() != mark) return c;
        if (!(c.delay_ms > c.depth_ms)) fail_at(path + ".delay_ms", "must be > depth_ms (" + fmt_num(c.depth_ms) + ")");
        return c;
    }

    DelaySpec delay(const json& j, const std::string& path) {
        const size_t mark = error_mark();
        DelaySpec d = flat_block(j, path, kDelayFields);
        if (error_mark() != mark) return d;
        if (d.time_ms.has_value() == d.note.has_value()) fail_at(path, "needs exactly one of time_ms and note");
        if (d.time_ms && std::llround(*d.time_ms / 1000.0 * sample_rate) < 1)
            fail_at(path + ".time_ms", "must be at least one sample (" + fmt_num(1000.0 / sample_rate) + " ms)");
        return d;  // a note's tempo is checked with the whole session
    }

    // One lane: [[time_s, value], ...], times not decreasing, values within [lo, hi].
    AutomationLane lane(const json& g, const std::string& path, const char* unit, double lo, double hi) {
        if (!g.is_array()) fail_at(path, std::string("must be an array of [time_s, ") + unit + "] pairs, not " + type_name(g));
        AutomationLane points;
        double last_t = -1.0;
        for (size_t i = 0; i < g.size(); ++i) {
            const json& pt = g[i];
            const std::string pp = index_path(path, i);
            if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number())
                fail_at(pp, std::string("must be a [time_s, ") + unit + "] pair of numbers");
            AutomationPoint p{pt[0].get<double>(), pt[1].get<double>()};
            if (!std::isfinite(p.time_s) || p.time_s < 0.0) fail_at(pp + "[0]", "time_s must be >= 0");
            if (p.time_s < last_t) fail_at(pp + "[0]", "times must not decrease");
            if (!std::isfinite(p.value) || p.value < lo || p.value > hi)
                fail_at(pp + "[1]", std::string(unit) + " must be within [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
            last_t = p.time_s;
            points.push_back(p);
        }
        return points;
    }

    // A stem's (stem = true) or a bus's "automation" block. Sends are
    // automated as "send_db": {"<bus>": lane} or, equally, "send_db.<bus>": lane.
    Automation automation(const json& j, const std::string& path, bool stem) {
        if (!j.is_object()) fail_at(path, std::string("must be an object, not ") + type_name(j));
        Automation a;
        for (auto it = j.begin(); it != j.end(); ++it) guard([&] { automation_lane(a, it.key(), *it, path + "." + it.key(), stem); });
        return a;
    }

    // One key of an automation block: a lane, or the send lanes.
    void automation_lane(Automation& a, const std::string& key, const json& lane_json, const std::string& kp, bool stem) {
        if (key == "gain_db") a.gain_db = lane(lane_json, kp, "gain_db", kGainMinDb, kGainMaxDb);
        else if (key == "width") a.width = lane(lane_json, kp, "width", 0.0, 4.0);
        else if (key == "pan" && stem) a.pan = lane(lane_json, kp, "pan", -1.0, 1.0);
        else if (key == "send_db" && stem) {
            if (!lane_json.is_object()) fail_at(kp, std::string("must be an object of bus names, not ") + type_name(lane_json));
            for (auto b = lane_json.begin(); b != lane_json.end(); ++b)
                guard([&] { add_send_lane(a, b.key(), *b, kp + "." + b.key()); });
        } else if (key.rfind("send_db.", 0) == 0 && stem) {
            add_send_lane(a, key.substr(8), lane_json, kp);
        } else {
            const std::vector<std::string> lanes = stem ? std::vector<std::string>{"gain_db", "pan", "width", "send_db"}
                                                        : std::vector<std::string>{"gain_db", "width"};
            auto near = nearest_key(key, lanes);
            fail_at(kp, (near ? "unknown key (did you mean \"" + *near + "\"?); " : std::string("unknown key; ")) +
                            (stem ? "automation lanes: gain_db, pan, width, send_db.<bus>" : "a bus automates gain_db and width"));
        }
    }

    void add_send_lane(Automation& a, const std::string& bus, const json& j, const std::string& path) {
        if (bus.empty()) fail_at(path, "needs a bus name (send_db.<bus>)");
        if (a.send(bus)) fail_at(path, "the send to \"" + bus + "\" is automated twice");
        a.send_db.push_back(SendAutomation{bus, lane(j, path, "send_db", kGainMinDb, kGainMaxDb)});
    }

    StemSpec stem(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        StemSpec s;
        read_all(r, kStemFields, s);
        guard([&] {
            if (const json* a = r.object("automation")) s.automation = automation(*a, r.child("automation"), true);
        });
        guard([&] {
            if (const json* e = r.object("eq")) s.eq = eq(*e, r.child("eq"));
        });
        guard([&] {
            if (const json* c = r.object("compressor")) s.compressor = compressor(*c, r.child("compressor"));
        });
        guard([&] {
            if (const json* c = r.object("chorus")) s.chorus = chorus(*c, r.child("chorus"));
        });
        guard([&] {
            if (const json* sends = r.array("sends"))
                for (size_t i = 0; i < sends->size(); ++i)
                    guard([&] { s.sends.push_back(flat_block((*sends)[i], index_path(r.child("sends"), i), kSendFields)); });
        });
        r.finish();
        return s;
    }

    BusSpec bus(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        BusSpec b;
        read_all(r, kBusFields, b);
        guard([&] {
            if (b.name == kMasterBusName) fail_at(r.child("name"), "\"master\" is reserved for the master bus");
        });
        guard([&] {
            if (const json* d = r.object("delay")) b.delay = delay(*d, r.child("delay"));
        });
        guard([&] {
            if (const json* v = r.object("reverb")) b.reverb = flat_block(*v, r.child("reverb"), kReverbFields);
        });
        guard([&] {
            if (const json* e = r.object("eq")) b.eq = eq(*e, r.child("eq"));
        });
        guard([&] {
            if (const json* c = r.object("compressor")) b.compressor = compressor(*c, r.child("compressor"));
        });
        guard([&] {
            if (const json* c = r.object("chorus")) b.chorus = chorus(*c, r.child("chorus"));
        });
        guard([&] {
            if (const json* a = r.object("automation")) b.automation = automation(*a, r.child("automation"), false);
        });
        r.finish();
        return b;
    }

    MultibandSpec multiband(const json& j, const std::string& path) {
        ObjectReader mr(j, path);
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
            fail_at(mr.child("bands"), "must hold one entry per band: " + std::to_string(spec.crossovers_hz.size() + 1) + " for " +
                                           std::to_string(spec.crossovers_hz.size()) + " crossovers");
        for (size_t i = 0; i < bands->size(); ++i)
            guard([&] { spec.bands.push_back(flat_block((*bands)[i], index_path(mr.child("bands"), i), kMultibandBandFields)); });
        mr.finish();
        return spec;
    }

    MasterSpec master(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        MasterSpec m;
        // The preset first: it fills defaults that the explicit keys then override.
        read_all(r, kMasterFields, m);
        if (m.preset) preset = master::preset_from_name(*m.preset);
        const master::PresetDefaults* pd = preset ? &master::preset_defaults(*preset) : nullptr;
        if (pd && !r.has("loudness_target_lufs")) m.loudness_target_lufs = pd->loudness_target_lufs;
        if (pd && !r.has("mono_below_hz") && pd->mono_below_hz) m.mono_below_hz = pd->mono_below_hz;
        guard([&] {
            if (const json* e = r.object("eq")) m.eq = eq(*e, r.child("eq"));
        });
        guard([&] {
            if (const json* e = r.object("match_eq")) m.match_eq = flat_block(*e, r.child("match_eq"), kMatchEqFields);
        });
        guard([&] {
            if (const json* mb = r.object("multiband")) m.multiband = multiband(*mb, r.child("multiband"));
        });
        const json* l = nullptr;
        guard([&] { l = r.object("limiter"); });
        if (l) {
            guard([&] {
                ObjectReader lr(*l, r.child("limiter"));
                LimiterSpec lim;
                if (pd) lim.ceiling_dbtp = pd->ceiling_dbtp;
                read_all(lr, kLimiterFields, lim);
                lr.finish();
                m.limiter = lim;
            });
        } else if (pd) {
            LimiterSpec lim;
            lim.ceiling_dbtp = pd->ceiling_dbtp;
            m.limiter = lim;
        }
        r.finish();
        return m;
    }

    DeliveryMetadata metadata(const json& j, const std::string& path) {
        ObjectReader r(j, path);
        DeliveryMetadata md;
        read_all(r, kMetadataFields, md);
        guard([&] {
            // "year": "2026" or 2026
            if (const json* y = r.get("year"); y && y->is_number()) {
                const double v = y->get<double>();
                if (!(v >= 1000 && v <= 9999 && std::floor(v) == v)) fail_at(r.child("year"), "must be a year of 4 digits, e.g. \"2026\"");
                md.year = std::to_string(static_cast<int>(v));
            } else {
                read(r, kMetadataYearField, md);
            }
        });
        r.finish();
        return md;
    }

    ExportSpec export_entry(const json& j, const std::string& path, int session_rate, bool has_master) {
        ObjectReader r(j, path);
        ExportSpec e;
        for (size_t i = 0; i < kExportHeadFields; ++i) read(r, kExportFields[i], e);
        if (!r.has("format")) {
            auto inferred = format_from_extension(e.file);
            if (!inferred)
                fail_at(r.child("format"), "is required when the file name does not end in " + std::string(kExportExtensions));
            e.format = *inferred;
        }
        const size_t mark = error_mark();
        for (size_t i = kExportHeadFields; i < std::size(kExportFields); ++i) guard([&] { read(r, kExportFields[i], e); });
        if (error_mark() != mark) {
            r.finish();
            return e;
        }
        if (is_lossy(e.format)) {
            // Encoders take float: no bit depth, no dither.
            e.bit_depth = 32;
            e.dither = Dither::None;
        }
        // The export's own preset wins over the master's for its defaults.
        std::optional<MasterPreset> p = preset;
        if (e.preset) p = master::preset_from_name(*e.preset);
        if (p && !is_lossy(e.format)) {
            const Dither explicit_dither = e.dither;
            master::apply_preset_export_defaults(e, *p, r.has("format"), r.has("bit_depth"), r.has("sample_rate"), r.has("cue_sheet"));
            if (r.has("dither")) e.dither = explicit_dither;  // explicit keys win over the preset
        }
        guard([&] {
            if (e.format == ExportFormat::Flac && e.bit_depth == 32)
                fail_at(r.child("bit_depth"), "FLAC holds integer PCM only: use 16 or 24");
        });
        if (e.bit_depth == 32 && !is_lossy(e.format)) {
            guard([&] {
                if (r.has("dither") && e.dither != Dither::None) fail_at(r.child("dither"), "float output (bit_depth 32) is never dithered");
            });
            e.dither = Dither::None;
        }
        if (is_lossy(e.format)) guard([&] { check_lossy(r, e, session_rate); });
        guard([&] {
            const char* key = e.loudness_target_lufs ? "loudness_target_lufs" : e.ceiling_dbtp ? "ceiling_dbtp" : e.preset ? "preset" : nullptr;
            if (key && !has_master) fail_at(r.child(key), "an export's own delivery target needs a master block");
        });
        r.finish();
        return e;
    }

    // A lossy export's rate and bit rate must be ones its codec holds.
    static void check_lossy(ObjectReader& r, ExportSpec& e, int session_rate) {
        const std::string name = to_string(e.format);
        if (e.bitrate_kbps && e.quality) fail_at(r.child("quality"), "give bitrate_kbps or quality, not both");
        if (e.format == ExportFormat::Ogg && e.bitrate_kbps)
            fail_at(r.child("bitrate_kbps"), "ogg (Vorbis) is written at a quality (quality 0..1), not a bit rate");
        if (e.format == ExportFormat::Mp3 && e.bitrate_kbps &&
            std::find(kMp3Bitrates.begin(), kMp3Bitrates.end(), *e.bitrate_kbps) == kMp3Bitrates.end())
            fail_at(r.child("bitrate_kbps"), "must be an MP3 bit rate: 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256 or 320");
        auto allowed = [&](int rate) {
            if (e.format == ExportFormat::Mp3) return std::find(kMp3Rates.begin(), kMp3Rates.end(), rate) != kMp3Rates.end();
            if (e.format == ExportFormat::Opus) return std::find(kOpusRates.begin(), kOpusRates.end(), rate) != kOpusRates.end();
            return rate <= 192000;  // Vorbis: any rate libsndfile writes
        };
        if (e.sample_rate != 0) {
            if (!allowed(e.sample_rate))
                fail_at(r.child("sample_rate"), name + (e.format == ExportFormat::Mp3 ? " holds 16000, 22050, 24000, 32000, 44100 or 48000 Hz"
                                                                                   : " holds 8000, 12000, 16000, 24000 or 48000 Hz"));
        } else if (!allowed(session_rate)) {
            // The session's rate cannot be held: deliver at 48 kHz (written back explicitly).
            e.sample_rate = 48000;
        }
    }

    Session session(const json& root) {
        ObjectReader r(root, "");
        auto format = r.string("format");
        if (!format) fail_at("format", "is required (\"stemforge-session\")");
        if (*format != "stemforge-session") fail_at("format", "must be \"stemforge-session\", not \"" + *format + "\"");
        auto version = r.integer("version");
        if (!version) fail_at("version", "is required (1)");
        if (*version != 1) fail_at("version", "unsupported version " + fmt_num(*version) + " (this build reads 1)");

        Session s;
        s.base_dir = base_dir;
        read_all(r, kSessionFields, s);
        sample_rate = s.sample_rate;

        const json* stems = r.array("stems");
        if (!stems) fail_at("stems", "is required");
        if (stems->empty()) fail_at("stems", "must hold at least one stem");
        for (size_t i = 0; i < stems->size(); ++i) guard([&] { s.stems.push_back(stem((*stems)[i], index_path("stems", i))); });
        guard([&] {
            if (const json* buses = r.array("buses"))
                for (size_t i = 0; i < buses->size(); ++i) guard([&] { s.buses.push_back(bus((*buses)[i], index_path("buses", i))); });
        });
        guard([&] {
            if (const json* m = r.object("master")) s.master = master(*m, "master");
        });
        guard([&] {
            if (const json* md = r.object("metadata")) s.metadata = metadata(*md, "metadata");
        });
        if (const json* ex = r.array("export"))
            for (size_t i = 0; i < ex->size(); ++i)
                guard([&] { s.exports.push_back(export_entry((*ex)[i], index_path("export", i), s.sample_rate, s.master.has_value())); });
        r.finish();

        if (t_errors && !t_errors->empty()) return s;  // rules across blocks need every block read
        check_names_and_routing(s);
        return s;
    }

    static void check_names_and_routing(const Session& s) {
        std::map<std::string, size_t> stem_index, bus_index;
        for (size_t i = 0; i < s.stems.size(); ++i) guard([&] {
            auto [it, fresh] = stem_index.emplace(s.stems[i].name, i);
            if (!fresh)
                fail_at(index_path("stems", i) + ".name",
                        "duplicate stem name \"" + s.stems[i].name + "\" (also stems[" + std::to_string(it->second) + "])");
        });
        for (size_t i = 0; i < s.buses.size(); ++i) guard([&] {
            auto [it, fresh] = bus_index.emplace(s.buses[i].name, i);
            if (!fresh)
                fail_at(index_path("buses", i) + ".name",
                        "duplicate bus name \"" + s.buses[i].name + "\" (also buses[" + std::to_string(it->second) + "])");
        });
        auto check_target = [&](const std::string& target, const std::string& path) {
            guard([&] {
                if (target != kMasterBusName && !bus_index.count(target))
                    fail_at(path, "unknown bus \"" + target + "\" (a bus name or \"master\")");
            });
        };
        for (size_t i = 0; i < s.stems.size(); ++i) {
            check_target(s.stems[i].output, index_path("stems", i) + ".output");
            for (size_t k = 0; k < s.stems[i].sends.size(); ++k) {
                const std::string& target = s.stems[i].sends[k].bus;
                const std::string sp = index_path(index_path("stems", i) + ".sends", k) + ".bus";
                if (target == kMasterBusName) guard([&] { fail_at(sp, "a send goes to a bus, not to \"master\" (use output)"); });
                else check_target(target, sp);
            }
        }
        for (size_t i = 0; i < s.buses.size(); ++i) check_target(s.buses[i].output, index_path("buses", i) + ".output");
        // The rules below follow the routing: they need every name and target valid.
        if (t_errors && !t_errors->empty()) return;

        // Bus -> bus routing must be acyclic: follow each bus's output chain.
        for (size_t i = 0; i < s.buses.size(); ++i) guard([&] {
            std::vector<std::string> chain{s.buses[i].name};
            std::string next = s.buses[i].output;
            while (next != kMasterBusName) {
                if (next == s.buses[i].name) {
                    // One report per cycle: from the bus of the cycle listed first.
                    for (const auto& n : chain)
                        if (bus_index.at(n) < i) return;
                    std::string cycle;
                    for (const auto& n : chain) cycle += n + " -> ";
                    fail_at(index_path("buses", i) + ".output", "routing cycle " + cycle + next);
                }
                if (chain.size() > s.buses.size()) break;  // a cycle not through bus i; found from its own start
                chain.push_back(next);
                next = s.buses[bus_index.at(next)].output;
            }
        });
        if (t_errors && !t_errors->empty()) return;  // the sidechain order needs acyclic routing

        for (size_t i = 0; i < s.stems.size(); ++i)
            for (const SendAutomation& sa : s.stems[i].automation.send_db) {
                const auto& sends = s.stems[i].sends;
                if (std::none_of(sends.begin(), sends.end(), [&](const SendSpec& send) { return send.bus == sa.bus; }))
                    guard([&] {
                        fail_at(index_path("stems", i) + ".automation.send_db." + sa.bus, "the stem has no send to \"" + sa.bus + "\"");
                    });
            }
        for (size_t i = 0; i < s.buses.size(); ++i)
            if (s.buses[i].delay && s.buses[i].delay->note && !s.tempo_bpm)
                guard([&] { fail_at(index_path("buses", i) + ".delay.note", "needs the session's tempo_bpm"); });
        check_sidechains(s, stem_index, bus_index);
    }

    // Sidechain keys: each names one stem or bus, not the compressor's own,
    // and no key may depend on what it keys. Render order: a node's inputs
    // (what feeds a bus) and its key come before it; a cycle in that order is
    // an error naming the compressor that closes it.
    static void check_sidechains(const Session& s, const std::map<std::string, size_t>& stem_index,
                                 const std::map<std::string, size_t>& bus_index) {
        const size_t ns = s.stems.size(), n = ns + s.buses.size();
        auto name_of = [&](size_t v) { return v < ns ? s.stems[v].name : s.buses[v - ns].name; };
        auto path_of = [&](size_t v) { return v < ns ? index_path("stems", v) : index_path("buses", v - ns); };
        auto compressor_of = [&](size_t v) { return v < ns ? s.stems[v].compressor : s.buses[v - ns].compressor; };
        std::vector<std::vector<size_t>> after(n);  // after[a]: nodes that need a first
        auto node_of_bus = [&](const std::string& name) { return name == kMasterBusName ? n : ns + bus_index.at(name); };
        for (size_t i = 0; i < ns; ++i) {
            if (size_t d = node_of_bus(s.stems[i].output); d < n) after[i].push_back(d);
            for (const SendSpec& send : s.stems[i].sends) after[i].push_back(node_of_bus(send.bus));
        }
        for (size_t b = 0; b < s.buses.size(); ++b)
            if (size_t d = node_of_bus(s.buses[b].output); d < n) after[ns + b].push_back(d);
        std::vector<std::pair<size_t, size_t>> keys;  // (key, keyed)
        for (size_t v = 0; v < n; ++v) {
            const auto c = compressor_of(v);
            if (!c || c->sidechain.empty()) continue;
            const std::string path = path_of(v) + ".compressor.sidechain";
            const auto st = stem_index.find(c->sidechain);
            const auto bu = bus_index.find(c->sidechain);
            if (st == stem_index.end() && bu == bus_index.end())
                fail_at(path, "unknown stem or bus \"" + c->sidechain + "\"");
            if (st != stem_index.end() && bu != bus_index.end())
                fail_at(path, "\"" + c->sidechain + "\" names both a stem and a bus: rename one");
            const size_t key = st != stem_index.end() ? st->second : ns + bu->second;
            if (key == v) fail_at(path, "a compressor cannot key itself (use no sidechain for its own signal)");
            keys.emplace_back(key, v);
            after[key].push_back(v);
        }
        // A key closes a cycle when what it keys leads back to it.
        for (const auto& [key, keyed] : keys) {
            std::vector<size_t> parent(n, n + 1), stack{keyed};
            parent[keyed] = keyed;
            while (!stack.empty()) {
                const size_t v = stack.back();
                stack.pop_back();
                if (v == key) break;
                for (size_t w : after[v])
                    if (parent[w] == n + 1) parent[w] = v, stack.push_back(w);
            }
            if (parent[key] == n + 1) continue;
            std::vector<std::string> chain{name_of(key)};
            for (size_t v = key; v != keyed;) chain.push_back(name_of(v = parent[v]));
            std::string route;
            for (auto it = chain.rbegin(); it != chain.rend(); ++it) route += (route.empty() ? "" : " -> ") + *it;
            fail_at(path_of(keyed) + ".compressor.sidechain", "sidechain cycle: \"" + name_of(keyed) + "\" is keyed by \"" +
                                                                  name_of(key) + "\", which is rendered after it (" + route + ")");
        }
    }
};

// ---- the writer: the same tables, in the same order ---------------------------

ojson write_eq(const EqSpec& spec) {
    ojson j = ojson::object();
    write_all(j, kEqFields, spec, false);
    if (!spec.bands.empty()) {
        ojson bands = ojson::array();
        for (const auto& b : spec.bands) {
            ojson jb = ojson::object();
            write_all(jb, kEqBandFields, b, false);
            bands.push_back(std::move(jb));
        }
        j["bands"] = std::move(bands);
    }
    return j;
}

ojson write_compressor(const CompressorSpec& c) {
    ojson j = ojson::object();
    write_all(j, kCompressorFields, c, false);
    if (c.sidechain_eq) j["sidechain_eq"] = write_eq(*c.sidechain_eq);
    return j;
}

ojson write_chorus(const ChorusSpec& c) {
    ojson j = ojson::object();
    write_all(j, kChorusFields, c, false);
    return j;
}

ojson write_delay(const DelaySpec& d) {
    ojson j = ojson::object();
    write_all(j, kDelayFields, d, false);
    return j;
}

ojson write_lane(const AutomationLane& lane) {
    ojson points = ojson::array();
    for (const auto& p : lane) points.push_back(ojson::array({p.time_s, p.value}));
    return points;
}

// Send lanes are written nested, "send_db": {"<bus>": lane}, so that the
// JSON path automation.send_db.<bus> names the lane (edit commands walk it).
ojson write_automation(const Automation& a) {
    ojson j = ojson::object();
    if (!a.gain_db.empty()) j["gain_db"] = write_lane(a.gain_db);
    if (!a.pan.empty()) j["pan"] = write_lane(a.pan);
    if (!a.width.empty()) j["width"] = write_lane(a.width);
    if (!a.send_db.empty()) {
        ojson sends = ojson::object();
        for (const SendAutomation& s : a.send_db) sends[s.bus] = write_lane(s.level_db);
        j["send_db"] = std::move(sends);
    }
    return j;
}

ojson write_stem(const StemSpec& s) {
    ojson j = ojson::object();
    // Table order, with the hand-written blocks where the table's comment puts them.
    ojson head = ojson::object();
    write_all(head, kStemFields, s, false);
    for (auto it = head.begin(); it != head.end(); ++it)
        if (it.key() != "output") j[it.key()] = it.value();
    if (!s.automation.empty()) j["automation"] = write_automation(s.automation);
    if (s.eq) j["eq"] = write_eq(*s.eq);
    if (s.compressor) j["compressor"] = write_compressor(*s.compressor);
    if (s.chorus) j["chorus"] = write_chorus(*s.chorus);
    if (!s.sends.empty()) {
        ojson sends = ojson::array();
        for (const auto& send : s.sends) {
            ojson js = ojson::object();
            write_all(js, kSendFields, send, false);
            sends.push_back(std::move(js));
        }
        j["sends"] = std::move(sends);
    }
    if (head.contains("output")) j["output"] = head["output"];
    return j;
}

ojson write_bus(const BusSpec& b) {
    ojson head = ojson::object();
    write_all(head, kBusFields, b, false);
    ojson j = ojson::object();
    j["name"] = head["name"];
    if (b.delay) j["delay"] = write_delay(*b.delay);
    if (b.reverb) {
        ojson r = ojson::object();
        write_all(r, kReverbFields, *b.reverb, false);
        j["reverb"] = std::move(r);
    }
    if (b.eq) j["eq"] = write_eq(*b.eq);
    if (b.compressor) j["compressor"] = write_compressor(*b.compressor);
    if (b.chorus) j["chorus"] = write_chorus(*b.chorus);
    if (head.contains("width")) j["width"] = head["width"];
    if (!b.automation.empty()) j["automation"] = write_automation(b.automation);
    for (const char* key : {"gain_db", "output"})
        if (head.contains(key)) j[key] = head[key];
    return j;
}

ojson write_master(const MasterSpec& m) {
    const bool preset_active = m.preset.has_value();
    ojson head = ojson::object();
    write_all(head, kMasterFields, m, preset_active);
    ojson j = ojson::object();
    if (head.contains("preset")) j["preset"] = head["preset"];
    if (m.eq) j["eq"] = write_eq(*m.eq);
    if (m.match_eq) {
        ojson me = ojson::object();
        write_all(me, kMatchEqFields, *m.match_eq, false);
        j["match_eq"] = std::move(me);
    }
    if (m.multiband) {
        ojson bands = ojson::array();
        for (const auto& b : m.multiband->bands) {
            ojson jb = ojson::object();
            write_all(jb, kMultibandBandFields, b, false);
            bands.push_back(std::move(jb));
        }
        j["multiband"] = ojson{{"crossovers_hz", m.multiband->crossovers_hz}, {"bands", std::move(bands)}};
    }
    for (const char* key : {"width", "mono_below_hz", "balance"})
        if (head.contains(key)) j[key] = head[key];
    if (m.limiter) {
        ojson l = ojson::object();
        write_all(l, kLimiterFields, *m.limiter, preset_active);
        j["limiter"] = std::move(l);
    }
    for (const char* key : {"loudness_target_lufs", "fade_in_s", "fade_out_s", "fade_curve", "trim_start_s", "trim_end_s",
                            "trim_silence_db", "trim_silence_preroll_s"})
        if (head.contains(key)) j[key] = head[key];
    return j;
}

}  // namespace

std::optional<double> note_whole_notes(std::string_view note) {
    if (note.size() < 3 || note.substr(0, 2) != "1/") return std::nullopt;
    double factor = 1.0;
    if (note.back() == 'd') factor = 1.5;
    if (note.back() == 't') factor = 2.0 / 3.0;
    const std::string_view digits = note.substr(2, note.size() - 2 - (factor != 1.0 ? 1 : 0));
    for (const int division : {1, 2, 4, 8, 16, 32})
        if (digits == std::to_string(division)) return factor / division;
    return std::nullopt;
}

std::optional<double> delay_time_s(const DelaySpec& delay, std::optional<double> tempo_bpm) {
    if (delay.time_ms) return *delay.time_ms / 1000.0;
    if (!delay.note || !tempo_bpm) return std::nullopt;
    const auto whole = note_whole_notes(*delay.note);
    if (!whole) return std::nullopt;
    return *whole * 240.0 / *tempo_bpm;
}

const BusSpec* Session::find_bus(const std::string& name) const {
    for (const auto& b : buses)
        if (b.name == name) return &b;
    return nullptr;
}

Result<Session> parse_session(const std::string& text, const std::filesystem::path& base_dir, const std::string& origin) {
    PathTrackingDom dom;
    // sax_parse reports syntax errors and number overflow through the handler;
    // anything else it throws is a bug in the handler, reported, not escaped.
    try {
        if (!json::sax_parse(text, &dom)) return fail(ErrorCode::InvalidSession, origin + ": " + dom.error);
    } catch (const json::exception& e) {
        return fail(ErrorCode::InvalidSession, origin + ": malformed JSON: " + e.what());
    }
    std::error_code ec;
    std::filesystem::path base = base_dir.empty() ? std::filesystem::current_path(ec) : std::filesystem::absolute(base_dir, ec);
    if (ec) return fail(ErrorCode::InvalidSession, origin + ": cannot resolve the session folder " + base_dir.string() + ": " + ec.message());
    ErrorLog log;
    struct Collecting {
        explicit Collecting(ErrorLog* l) { t_errors = l; }
        ~Collecting() { t_errors = nullptr; }
    } collecting(&log);
    try {
        Parser parser;
        parser.base_dir = base;
        Session s = parser.session(dom.root);
        if (log.empty()) return s;
    } catch (ParseFailure& f) {
        log.add(std::move(f.message));
    }
    return fail(ErrorCode::InvalidSession, log.joined(origin + ": "));
}

Result<MasterSpec> parse_master_block(const nlohmann::json& block, const std::string& json_path,
                                      const std::filesystem::path& base_dir, int sample_rate) {
    ErrorLog log;
    struct Collecting {
        explicit Collecting(ErrorLog* l) { t_errors = l; }
        ~Collecting() { t_errors = nullptr; }
    } collecting(&log);
    try {
        Parser parser;
        parser.base_dir = base_dir;
        parser.sample_rate = sample_rate;
        MasterSpec m = parser.master(block, json_path);
        if (log.empty()) return m;
    } catch (ParseFailure& f) {
        log.add(std::move(f.message));
    }
    return fail(ErrorCode::InvalidSession, log.joined(""));
}

nlohmann::ordered_json master_block_json(const MasterSpec& master) { return write_master(master); }

Result<Session> load_session(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return fail(ErrorCode::FileNotFound, file.string() + ": no such file");
    if (std::filesystem::is_directory(file, ec)) return fail(ErrorCode::FileRead, file.string() + ": is a directory, not a session file");
    if (auto ok = require_regular_file(file); !ok) return std::unexpected(ok.error());
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

std::string to_json(const Session& s) {
    ojson j = ojson::object();
    j["format"] = "stemforge-session";
    j["version"] = 1;
    write_all(j, kSessionFields, s, false);
    ojson stems = ojson::array();
    for (const auto& st : s.stems) stems.push_back(write_stem(st));
    j["stems"] = std::move(stems);
    if (!s.buses.empty()) {
        ojson buses = ojson::array();
        for (const auto& b : s.buses) buses.push_back(write_bus(b));
        j["buses"] = std::move(buses);
    }
    if (s.master) j["master"] = write_master(*s.master);
    ojson md = ojson::object();
    write_all(md, kMetadataFields, s.metadata, false);
    if (!s.metadata.year.empty()) md["year"] = s.metadata.year;
    if (!md.empty()) j["metadata"] = std::move(md);
    if (!s.exports.empty()) {
        const bool preset_active = s.master && s.master->preset;
        ojson ex = ojson::array();
        for (const auto& e : s.exports) {
            ojson je = ojson::object();
            write_all(je, kExportFields, e, preset_active || e.preset.has_value());
            ex.push_back(std::move(je));
        }
        j["export"] = std::move(ex);
    }
    return j.dump(2) + "\n";
}

std::optional<ExportFormat> format_from_extension(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".wav") return ExportFormat::Wav;
    if (ext == ".flac") return ExportFormat::Flac;
    if (ext == ".aif" || ext == ".aiff") return ExportFormat::Aiff;
    if (ext == ".rf64") return ExportFormat::Rf64;
    if (ext == ".mp3") return ExportFormat::Mp3;
    if (ext == ".opus") return ExportFormat::Opus;
    if (ext == ".ogg" || ext == ".oga") return ExportFormat::Ogg;
    return std::nullopt;
}

}  // namespace sf
