#include "engine/export/metadata.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "engine/core/fault.h"

namespace sf {

namespace {

uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }

// EBU Tech 3285 v2: Description 256, Originator 32, OriginatorReference 32,
// OriginationDate 10, OriginationTime 8, TimeReference 8, Version 2, UMID 64,
// then LoudnessValue, LoudnessRange, MaxTruePeakLevel, MaxMomentaryLoudness,
// MaxShortTermLoudness (int16 each).
constexpr std::streamoff kBextLoudnessOffset = 256 + 32 + 32 + 10 + 8 + 8 + 2 + 64;
constexpr std::streamoff kBextVersionOffset = 256 + 32 + 32 + 10 + 8 + 8;

// Finds the bext chunk's data offset in a RIFF/RF64 file, or -1.
Result<std::streamoff> find_bext(std::fstream& f, const std::filesystem::path& file) {
    unsigned char head[12];
    if (!f.read(reinterpret_cast<char*>(head), 12) || (std::memcmp(head, "RIFF", 4) != 0 && std::memcmp(head, "RF64", 4) != 0) ||
        std::memcmp(head + 8, "WAVE", 4) != 0)
        return fail(ErrorCode::FileRead, file.string() + ": not a RIFF/RF64 WAVE file");
    std::streamoff at = 12;
    for (;;) {
        unsigned char ch[8];
        f.seekg(at);
        if (!f.read(reinterpret_cast<char*>(ch), 8)) break;
        const uint32_t size = le32(ch + 4);
        if (std::memcmp(ch, "bext", 4) == 0) return at + 8;
        if (std::memcmp(ch, "data", 4) == 0) break;  // libsndfile writes bext before the audio
        at += 8 + static_cast<std::streamoff>(size) + (size & 1);
    }
    return fail(ErrorCode::FileRead, file.string() + ": no bext chunk before the audio data");
}

}  // namespace

Result<void> patch_bext_loudness(const std::filesystem::path& file, const BextLoudness& l) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot open to write the bext loudness fields");
    auto at = find_bext(f, file);
    if (!at) return std::unexpected(at.error());
    auto field = [](double v) -> int16_t {
        if (!std::isfinite(v)) return 0x7fff;
        return static_cast<int16_t>(std::lround(std::clamp(v, -327.0, 327.0) * 100.0));
    };
    const int16_t values[5] = {field(l.integrated_lufs), field(l.loudness_range_lu), field(l.max_true_peak_dbtp),
                               field(l.max_momentary_lufs), field(l.max_short_term_lufs)};
    unsigned char bytes[10];
    for (int i = 0; i < 5; ++i) {
        const auto u = static_cast<uint16_t>(values[i]);
        bytes[2 * i] = static_cast<unsigned char>(u & 0xff);
        bytes[2 * i + 1] = static_cast<unsigned char>(u >> 8);
    }
    const unsigned char version[2] = {2, 0};
    f.clear();
    f.seekp(*at + kBextVersionOffset);
    f.write(reinterpret_cast<const char*>(version), 2);
    f.seekp(*at + kBextLoudnessOffset);
    f.write(reinterpret_cast<const char*>(bytes), 10);
    f.flush();
    if (!f || fault::io_error(fault::IoOp::Write, file)) return fail(ErrorCode::FileWrite, file.string() + ": cannot write the bext loudness fields");
    return {};
}

Result<BextLoudness> read_bext_loudness(const std::filesystem::path& file) {
    std::fstream f(file, std::ios::in | std::ios::binary);
    if (!f) return fail(ErrorCode::FileRead, file.string() + ": cannot open");
    auto at = find_bext(f, file);
    if (!at) return std::unexpected(at.error());
    unsigned char b[10];
    f.clear();
    f.seekg(*at + kBextLoudnessOffset);
    if (!f.read(reinterpret_cast<char*>(b), 10)) return fail(ErrorCode::FileRead, file.string() + ": truncated bext chunk");
    auto v = [&](int i) {
        const auto raw = static_cast<int16_t>(static_cast<uint16_t>(b[2 * i] | (b[2 * i + 1] << 8)));
        return raw == 0x7fff ? -INFINITY : raw / 100.0;
    };
    return BextLoudness{v(0), v(1), v(2), v(3), v(4)};
}

namespace {

// A CUE string: CDRWIN's syntax has no escape for a quote inside quotes, so
// every reader would end the string there; two single quotes read alike
// (what rippers such as EAC write). The validator keeps control characters
// out of metadata texts.
std::string cue_quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += "''";
        else out += c;
    }
    return out + "\"";
}

}  // namespace

Result<void> check_cue_file_name(const std::filesystem::path& audio_file, const std::string& role) {
    const std::string name = audio_file.filename().string();
    for (unsigned char c : name)
        if (c == '"' || c < 0x20 || c == 0x7f)
            return fail(ErrorCode::InvalidArgument, role + " " + audio_file.string() +
                                                        ": a CUE sheet cannot name a file whose name holds a double quote or a control character");
    return {};
}

std::string cue_sheet_text(const std::filesystem::path& audio_file, ExportFormat format, const DeliveryMetadata& md) {
    std::ostringstream s;
    s << "REM COMMENT \"Stemforge\"\r\n";
    if (!md.catalog.empty()) s << "CATALOG " << md.catalog << "\r\n";
    if (!md.artist.empty()) s << "PERFORMER " << cue_quoted(md.artist) << "\r\n";
    const std::string& disc_title = md.album.empty() ? md.title : md.album;
    if (!disc_title.empty()) s << "TITLE " << cue_quoted(disc_title) << "\r\n";
    s << "FILE " << cue_quoted(audio_file.filename().string()) << " " << (format == ExportFormat::Aiff ? "AIFF" : "WAVE") << "\r\n";
    s << "  TRACK 01 AUDIO\r\n";
    if (!md.title.empty()) s << "    TITLE " << cue_quoted(md.title) << "\r\n";
    if (!md.artist.empty()) s << "    PERFORMER " << cue_quoted(md.artist) << "\r\n";
    if (!md.isrc.empty()) s << "    ISRC " << md.isrc << "\r\n";
    s << "    INDEX 01 00:00:00\r\n";
    return s.str();
}

Result<std::vector<std::filesystem::path>> finish_exports(std::span<const FinishedExport> exports, const DeliveryMetadata& metadata,
                                                          DeliveryTransaction& transaction) {
    std::vector<std::filesystem::path> audio, cues;
    for (const FinishedExport& e : exports) {
        if (e.spec.format == ExportFormat::Bwf) {
            if (!e.measured) return fail(ErrorCode::Internal, e.spec.file.string() + ": a BWF export needs the file's measured loudness");
            if (auto r = patch_bext_loudness(e.staged, *e.measured); !r) return std::unexpected(r.error());
        }
        if (auto r = write_tags(e.staged, e.spec.format, metadata); !r) {
            Error err = r.error();
            // Name the export, not its staged temporary.
            if (err.message.starts_with(e.staged.string())) err.message = e.spec.file.string() + err.message.substr(e.staged.string().size());
            return std::unexpected(err);
        }
        audio.push_back(e.spec.file);
        if (e.spec.cue_sheet) {
            std::filesystem::path cue = e.spec.file;
            cue.replace_extension(".cue");
            if (auto r = transaction.stage_text(cue, cue_sheet_text(e.spec.file, e.spec.format, metadata)); !r)
                return std::unexpected(r.error());
            cues.push_back(cue);
        }
    }
    audio.insert(audio.end(), cues.begin(), cues.end());
    return audio;
}

}  // namespace sf
