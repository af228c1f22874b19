#include "engine/export/tags.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <system_error>

#include "engine/core/fault.h"

namespace sf {

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------
// Bytes

uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint64_t le64(const unsigned char* p) { return le32(p) | (static_cast<uint64_t>(le32(p + 4)) << 32); }
const unsigned char* bytes(const std::string& s, size_t at = 0) { return reinterpret_cast<const unsigned char*>(s.data() + at); }

void put_le16(std::string& out, uint16_t v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>(v >> 8);
}
void put_le32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_be32(std::string& out, uint32_t v) {
    for (int i = 3; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void set_le32(std::string& s, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void set_le64(std::string& s, size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) s[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

Result<std::string> read_range(const fs::path& file, uint64_t offset, uint64_t length) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorCode::FileRead, file.string() + ": cannot open to write tags");
    std::string s(length, '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(s.data(), static_cast<std::streamsize>(length));
    s.resize(static_cast<size_t>(in.gcount()));
    return s;
}

Result<std::string> read_all(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return fail(ErrorCode::FileRead, file.string() + ": cannot open to write tags: " + ec.message());
    return read_range(file, 0, size);
}

// Replaces `file` by head + file[skip, end) + tail, through a temporary copy
// beside it (a staged file is renamed over, never edited half in place).
Result<void> rewrite_file(const fs::path& file, const std::string& head, uint64_t skip, const std::string& tail) {
    fs::path temp = file;
    temp += ".tags-tmp";
    auto give_up = [&](const std::string& why) -> Result<void> {
        std::error_code ec;
        fs::remove(temp, ec);
        return fail(ErrorCode::FileWrite, file.string() + ": " + why);
    };
    {
        std::ifstream in(file, std::ios::binary);
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!in || !out) return give_up("cannot rewrite the file to add its tags");
        out.write(head.data(), static_cast<std::streamsize>(head.size()));
        in.seekg(static_cast<std::streamoff>(skip));
        std::vector<char> buf(1 << 20);
        while (in) {
            in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            out.write(buf.data(), in.gcount());
        }
        out.write(tail.data(), static_cast<std::streamsize>(tail.size()));
        out.flush();
        if (!out || in.bad() || fault::io_error(fault::IoOp::Write, temp)) return give_up("cannot write the tagged file (disk full?)");
    }
    std::error_code ec;
    if (const int e = fault::io_error(fault::IoOp::Rename, temp, file)) ec.assign(e, std::generic_category());
    else fs::rename(temp, file, ec);
    if (ec) return give_up("cannot replace with the tagged file: " + ec.message());
    return {};
}

// Appends `tail` to `file` and writes `patch` at `patch_at` (a size field).
Result<void> append_and_patch(const fs::path& file, const std::string& tail, uint64_t patch_at, const std::string& patch) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot open to write tags");
    f.seekp(0, std::ios::end);
    f.write(tail.data(), static_cast<std::streamsize>(tail.size()));
    f.seekp(static_cast<std::streamoff>(patch_at));
    f.write(patch.data(), static_cast<std::streamsize>(patch.size()));
    f.flush();
    if (!f) return fail(ErrorCode::FileWrite, file.string() + ": cannot write the tags (disk full?)");
    return {};
}

// ---------------------------------------------------------------------------
// Text

// Each non-ASCII character (a UTF-8 sequence) becomes one '?'.
std::string ascii_only(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c & 0xc0) != 0x80) {
            out += '?';  // a lead byte; its continuation bytes are dropped
        }
    }
    return out;
}

// A fixed-size ASCII field of the bext chunk: the text, NUL-padded.
void put_fixed(std::string& out, const std::string& text, size_t size) {
    std::string t = ascii_only(text).substr(0, size);
    t.resize(size, '\0');
    out += t;
}

std::string year_of(const DeliveryMetadata& md) {
    if (!md.year.empty()) return md.year;
    if (md.date.size() >= 4) return md.date.substr(0, 4);
    return {};
}

// ID3v2.4 4.2.1: "TCOP ... must begin with a year and a space character".
std::string id3_copyright(const DeliveryMetadata& md) {
    const std::string& c = md.copyright;
    const bool starts_with_year = c.size() >= 5 && std::isdigit(static_cast<unsigned char>(c[0])) &&
                                  std::isdigit(static_cast<unsigned char>(c[1])) && std::isdigit(static_cast<unsigned char>(c[2])) &&
                                  std::isdigit(static_cast<unsigned char>(c[3])) && c[4] == ' ';
    const std::string year = year_of(md);
    if (c.empty() || starts_with_year || year.empty()) return c;
    return year + " " + c;
}

struct Field {
    const char* vorbis;
    const char* id3;
    const char* riff;  // nullptr: no INFO field
    std::string value;
};

std::vector<Field> fields_of(const DeliveryMetadata& md) {
    return {
        {"TITLE", "TIT2", "INAM", md.title},
        {"ARTIST", "TPE1", "IART", md.artist},
        {"ALBUM", "TALB", "IPRD", md.album},
        {"DATE", "TDRC", "ICRD", md.year},
        {"TRACKNUMBER", "TRCK", "ITRK", md.track > 0 ? std::to_string(md.track) : std::string()},
        {"COMPOSER", "TCOM", "IMUS", md.composer},
        {"COPYRIGHT", "TCOP", "ICOP", md.copyright},
        {"ISRC", "TSRC", nullptr, md.isrc},
    };
}

bool has_any(const DeliveryMetadata& md) {
    for (const Field& f : fields_of(md))
        if (!f.value.empty()) return true;
    return false;
}

// ---------------------------------------------------------------------------
// Vorbis comments (FLAC block body; Ogg packets after their prefix)

struct VorbisComments {
    std::string vendor;
    std::vector<std::string> comments;  // "NAME=value"
    std::string rest;                   // bytes after the list (Vorbis framing bit, Opus extra data)
};

std::optional<VorbisComments> parse_vorbis_comments(const std::string& b, size_t p) {
    VorbisComments vc;
    auto u32 = [&](uint32_t& out) {
        if (p + 4 > b.size()) return false;
        out = le32(bytes(b, p));
        p += 4;
        return true;
    };
    uint32_t n = 0, count = 0;
    if (!u32(n) || n > b.size() - p) return std::nullopt;
    vc.vendor = b.substr(p, n);
    p += n;
    if (!u32(count)) return std::nullopt;
    for (uint32_t i = 0; i < count; ++i) {
        if (!u32(n) || n > b.size() - p) return std::nullopt;
        vc.comments.push_back(b.substr(p, n));
        p += n;
    }
    vc.rest = b.substr(p);
    return vc;
}

void merge_vorbis_comments(VorbisComments& vc, const DeliveryMetadata& md) {
    for (const auto& [name, value] : vorbis_comment_fields(md)) {
        std::erase_if(vc.comments, [&, &name = name](const std::string& c) {
            if (c.size() <= name.size() || c[name.size()] != '=') return false;
            for (size_t i = 0; i < name.size(); ++i)
                if (std::toupper(static_cast<unsigned char>(c[i])) != name[i]) return false;
            return true;
        });
    }
    for (const auto& [name, value] : vorbis_comment_fields(md)) vc.comments.push_back(name + "=" + value);
}

std::string vorbis_comment_bytes(const VorbisComments& vc) {
    std::string body;
    put_le32(body, static_cast<uint32_t>(vc.vendor.size()));
    body += vc.vendor;
    put_le32(body, static_cast<uint32_t>(vc.comments.size()));
    for (const auto& c : vc.comments) {
        put_le32(body, static_cast<uint32_t>(c.size()));
        body += c;
    }
    body += vc.rest;
    return body;
}

// ---------------------------------------------------------------------------
// MP3: ID3v2.4 at the start

// Size of an ID3v2 tag at the start of `head` (header + body + footer), 0 if none.
uint64_t id3v2_size(const std::string& head) {
    if (head.size() < 10 || head.compare(0, 3, "ID3") != 0) return 0;
    const auto* p = bytes(head);
    const uint64_t body = (uint64_t{p[6]} << 21) | (uint64_t{p[7]} << 14) | (uint64_t{p[8]} << 7) | p[9];
    const bool footer = (p[5] & 0x10) != 0;
    return 10 + body + (footer ? 10 : 0);
}

Result<void> tag_mp3(const fs::path& file, const DeliveryMetadata& md) {
    // LAME (through libsndfile) writes an ID3v2 tag only when it was given
    // strings; any tag there now is replaced, never doubled.
    auto head = read_range(file, 0, 10);
    if (!head) return std::unexpected(head.error());
    const std::string tag = id3v2_4_tag(md);
    const uint64_t old = id3v2_size(*head);
    if (tag.empty() && old == 0) return {};
    return rewrite_file(file, tag, old, {});
}

// ---------------------------------------------------------------------------
// RIFF (WAV, BWF, RF64) and AIFF chunks

std::string riff_chunk(const char* id, const std::string& body) {
    std::string c(id, 4);
    put_le32(c, static_cast<uint32_t>(body.size()));
    c += body;
    if (body.size() & 1) c += '\0';
    return c;
}

std::string aiff_chunk(const char* id, const std::string& body) {
    std::string c(id, 4);
    put_be32(c, static_cast<uint32_t>(body.size()));
    c += body;
    if (body.size() & 1) c += '\0';
    return c;
}

// LIST/INFO (each text NUL-terminated, as the RIFF spec's ZSTR) and an
// "id3 " chunk with every field; empty when there is nothing to say.
std::string riff_tag_chunks(const DeliveryMetadata& md) {
    std::string info = "INFO";
    for (const Field& f : fields_of(md))
        if (f.riff && !f.value.empty()) info += riff_chunk(f.riff, f.value + '\0');
    std::string out;
    if (info.size() > 4) out += riff_chunk("LIST", info);
    const std::string id3 = id3v2_4_tag(md);
    if (!id3.empty()) out += riff_chunk("id3 ", id3);
    return out;
}

struct RiffLayout {
    bool rf64 = false;
    uint64_t file_size = 0;
    uint64_t data_offset = 0;  // of the data chunk's payload
    uint64_t data_size = 0;
    uint64_t ds64_offset = 0;  // of the ds64 payload (RF64)
    std::optional<uint64_t> bext_offset;  // of the bext chunk header
    uint32_t bext_size = 0;
    uint16_t format_tag = 0, channels = 0, bits = 0;
    uint32_t sample_rate = 0;
};

Result<RiffLayout> riff_layout(const fs::path& file) {
    RiffLayout L;
    std::error_code ec;
    L.file_size = fs::file_size(file, ec);
    if (ec) return fail(ErrorCode::FileRead, file.string() + ": cannot open to write tags: " + ec.message());
    auto head = read_range(file, 0, 12);
    if (!head) return std::unexpected(head.error());
    if (head->size() < 12 || (head->compare(0, 4, "RIFF") != 0 && head->compare(0, 4, "RF64") != 0) || head->compare(8, 4, "WAVE") != 0)
        return fail(ErrorCode::FileRead, file.string() + ": not a RIFF/RF64 WAVE file");
    L.rf64 = head->compare(0, 4, "RF64") == 0;
    uint64_t at = 12;
    uint64_t rf64_data_size = 0;
    while (at + 8 <= L.file_size) {
        auto ch = read_range(file, at, 8);
        if (!ch || ch->size() < 8) break;
        uint64_t size = le32(bytes(*ch, 4));
        const std::string id = ch->substr(0, 4);
        if (id == "ds64") {
            L.ds64_offset = at + 8;
            auto ds = read_range(file, at + 8, 16);
            if (!ds || ds->size() < 16) return fail(ErrorCode::FileRead, file.string() + ": truncated ds64 chunk");
            rf64_data_size = le64(bytes(*ds, 8));
        } else if (id == "fmt ") {
            auto fmt = read_range(file, at + 8, 16);
            if (!fmt || fmt->size() < 16) return fail(ErrorCode::FileRead, file.string() + ": truncated fmt chunk");
            L.format_tag = static_cast<uint16_t>(bytes(*fmt)[0] | (bytes(*fmt)[1] << 8));
            L.channels = static_cast<uint16_t>(bytes(*fmt)[2] | (bytes(*fmt)[3] << 8));
            L.sample_rate = le32(bytes(*fmt, 4));
            L.bits = static_cast<uint16_t>(bytes(*fmt)[14] | (bytes(*fmt)[15] << 8));
            if (L.format_tag == 0xFFFE) {  // WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes
                auto ext = read_range(file, at + 8 + 24, 2);
                if (ext && ext->size() == 2) L.format_tag = static_cast<uint16_t>(bytes(*ext)[0] | (bytes(*ext)[1] << 8));
            }
        } else if (id == "bext") {
            L.bext_offset = at;
            L.bext_size = static_cast<uint32_t>(size);
        } else if (id == "data") {
            if (L.rf64 && size == 0xFFFFFFFFu) size = rf64_data_size;
            L.data_offset = at + 8;
            L.data_size = size;
            return L;
        }
        at += 8 + size + (size & 1);
    }
    return fail(ErrorCode::FileRead, file.string() + ": no data chunk");
}

// The bext chunk (EBU Tech 3285 v2) for `md`, keeping the loudness fields of
// the chunk written at export time (`old`, its payload; empty: "not measured").
Result<std::string> bext_chunk(const DeliveryMetadata& md, const RiffLayout& L, const std::string& old) {
    auto when = bext_origination(md);
    if (!when) return std::unexpected(when.error());
    std::string b;
    put_fixed(b, md.title.empty() ? std::string("Stemforge master") : md.title, 256);  // Description
    put_fixed(b, "Stemforge", 32);                                                    // Originator
    put_fixed(b, "", 32);                                                             // OriginatorReference
    put_fixed(b, when->date, 10);                                                     // OriginationDate
    put_fixed(b, when->time, 8);                                                      // OriginationTime
    b.append(8, '\0');                                                                // TimeReference: sample 0
    put_le16(b, 2);                                                                   // Version
    b.append(64, '\0');                                                               // UMID: none (zero)
    constexpr size_t kLoudnessAt = 256 + 32 + 32 + 10 + 8 + 8 + 2 + 64;
    if (old.size() >= kLoudnessAt + 10) {
        b += old.substr(kLoudnessAt, 10);
    } else {
        for (int i = 0; i < 5; ++i) put_le16(b, 0x7fff);
    }
    b.append(180, '\0');  // Reserved
    // EBU R 98 coding history: one line for the file itself; its free text
    // (T=) carries the ISRC.
    std::string line = "A=PCM,F=" + std::to_string(L.sample_rate) + ",W=" + std::to_string(L.bits) +
                       ",M=" + (L.channels == 1 ? "mono" : L.channels == 2 ? "stereo" : std::to_string(L.channels) + "ch") +
                       ",T=Stemforge" + (L.format_tag == 3 ? " IEEE float" : "");
    if (!md.isrc.empty()) line += ";ISRC=" + ascii_only(md.isrc);
    b += line + "\r\n";
    return riff_chunk("bext", b);
}

Result<void> tag_riff(const fs::path& file, ExportFormat format, const DeliveryMetadata& md) {
    auto L = riff_layout(file);
    if (!L) return std::unexpected(L.error());
    std::string tail = riff_tag_chunks(md);
    if (format != ExportFormat::Bwf) {
        if (tail.empty()) return {};
        if (L->file_size & 1) tail.insert(tail.begin(), '\0');  // the data chunk's pad byte
        const uint64_t new_size = L->file_size + tail.size();
        std::string patch;
        uint64_t patch_at = 4;
        if (L->rf64) {
            patch.resize(8);
            set_le64(patch, 0, new_size - 8);
            patch_at = L->ds64_offset;  // ds64 riffSize; the RIFF field stays 0xFFFFFFFF
        } else {
            if (new_size - 8 > 0xFFFFFFFFull) return fail(ErrorCode::FileWrite, file.string() + ": too large for WAV tags (use rf64)");
            patch.resize(4);
            set_le32(patch, 0, static_cast<uint32_t>(new_size - 8));
        }
        return append_and_patch(file, tail, patch_at, patch);
    }
    // BWF: the bext chunk grows (coding history), so everything before the
    // audio is written anew and the audio copied behind it.
    if (!L->bext_offset) return fail(ErrorCode::FileRead, file.string() + ": a BWF export without a bext chunk");
    auto before = read_range(file, 0, L->data_offset);
    if (!before) return std::unexpected(before.error());
    const uint64_t bext_at = *L->bext_offset, bext_end = bext_at + 8 + L->bext_size + (L->bext_size & 1);
    auto bext = bext_chunk(md, *L, before->substr(static_cast<size_t>(bext_at + 8), L->bext_size));
    if (!bext) return std::unexpected(bext.error());
    std::string head = before->substr(0, static_cast<size_t>(bext_at)) + *bext + before->substr(static_cast<size_t>(bext_end));
    if (L->rf64) return fail(ErrorCode::FileWrite, file.string() + ": BWF tags are written to RIFF WAV files only");
    // The audio and whatever followed it are kept as they are, padded to even.
    const uint64_t rest = L->file_size - L->data_offset;
    if ((head.size() + rest) & 1) tail.insert(tail.begin(), '\0');
    const uint64_t new_size = head.size() + rest + tail.size();
    if (new_size - 8 > 0xFFFFFFFFull) return fail(ErrorCode::FileWrite, file.string() + ": too large for a WAV file with tags");
    set_le32(head, 4, static_cast<uint32_t>(new_size - 8));
    return rewrite_file(file, head, L->data_offset, tail);
}

Result<void> tag_aiff(const fs::path& file, const DeliveryMetadata& md) {
    std::error_code ec;
    const uint64_t size = fs::file_size(file, ec);
    if (ec) return fail(ErrorCode::FileRead, file.string() + ": cannot open to write tags: " + ec.message());
    auto head = read_range(file, 0, 12);
    if (!head) return std::unexpected(head.error());
    if (head->size() < 12 || head->compare(0, 4, "FORM") != 0 || (head->compare(8, 4, "AIFF") != 0 && head->compare(8, 4, "AIFC") != 0))
        return fail(ErrorCode::FileRead, file.string() + ": not an AIFF file");
    std::string tail;
    if (!md.title.empty()) tail += aiff_chunk("NAME", md.title);
    if (!md.artist.empty()) tail += aiff_chunk("AUTH", md.artist);
    if (!md.copyright.empty()) tail += aiff_chunk("(c) ", md.copyright);
    const std::string id3 = id3v2_4_tag(md);
    if (!id3.empty()) tail += aiff_chunk("ID3 ", id3);
    if (tail.empty()) return {};
    if (size & 1) tail.insert(tail.begin(), '\0');
    const uint64_t new_size = size + tail.size();
    if (new_size - 8 > 0xFFFFFFFFull) return fail(ErrorCode::FileWrite, file.string() + ": too large for AIFF tags");
    std::string patch;
    put_be32(patch, static_cast<uint32_t>(new_size - 8));
    return append_and_patch(file, tail, 4, patch);
}

// ---------------------------------------------------------------------------
// Ogg (RFC 3533): the comment packet is replaced and the header pages laid
// out again; the audio pages are kept, renumbered, their CRCs recomputed.

uint32_t ogg_crc(const std::string& page) {
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t r = i << 24;
            for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : r << 1;
            t[i] = r;
        }
        return t;
    }();
    uint32_t crc = 0;
    for (unsigned char c : page) crc = (crc << 8) ^ table[((crc >> 24) ^ c) & 0xff];
    return crc;
}

struct OggPage {
    uint8_t flags = 0;
    uint64_t granule = 0;
    uint32_t serial = 0, seqno = 0;
    std::vector<uint8_t> lacing;
    std::string body;
};

std::string ogg_page_bytes(const OggPage& p) {
    std::string s = "OggS";
    s += '\0';
    s += static_cast<char>(p.flags);
    for (int i = 0; i < 8; ++i) s += static_cast<char>((p.granule >> (8 * i)) & 0xff);
    put_le32(s, p.serial);
    put_le32(s, p.seqno);
    put_le32(s, 0);  // CRC, filled below
    s += static_cast<char>(p.lacing.size());
    for (uint8_t l : p.lacing) s += static_cast<char>(l);
    s += p.body;
    set_le32(s, 22, ogg_crc(s));
    return s;
}

Result<void> tag_ogg(const fs::path& file, ExportFormat format, const DeliveryMetadata& md) {
    const std::string bad = file.string() + ": ";
    auto data = read_all(file);
    if (!data) return std::unexpected(data.error());
    std::vector<OggPage> pages;
    for (size_t at = 0; at < data->size();) {
        if (data->size() - at < 27 || data->compare(at, 4, "OggS") != 0)
            return fail(ErrorCode::FileRead, bad + "not an Ogg stream (no page at byte " + std::to_string(at) + ")");
        const auto* h = bytes(*data, at);
        OggPage p;
        p.flags = h[5];
        p.granule = le64(h + 6);
        p.serial = le32(h + 14);
        p.seqno = le32(h + 18);
        const size_t nseg = h[26];
        if (data->size() - at < 27 + nseg) return fail(ErrorCode::FileRead, bad + "truncated Ogg page");
        p.lacing.assign(h + 27, h + 27 + nseg);
        size_t body = 0;
        for (uint8_t l : p.lacing) body += l;
        if (data->size() - at - 27 - nseg < body) return fail(ErrorCode::FileRead, bad + "truncated Ogg page");
        p.body = data->substr(at + 27 + nseg, body);
        if (!pages.empty() && p.serial != pages.front().serial)
            return fail(ErrorCode::FileRead, bad + "holds more than one Ogg stream");
        at += 27 + nseg + body;
        pages.push_back(std::move(p));
    }
    // The header packets: identification, comment, and (Vorbis) setup.
    const size_t header_packets = format == ExportFormat::Opus ? 2 : 3;
    std::vector<std::string> packets(1);
    size_t page = 0;
    for (; page < pages.size() && packets.size() <= header_packets; ++page) {
        size_t off = 0;
        for (size_t s = 0; s < pages[page].lacing.size(); ++s) {
            if (packets.size() > header_packets)
                return fail(ErrorCode::FileRead, bad + "audio shares a page with the Ogg headers (a layout this writer does not edit)");
            const uint8_t len = pages[page].lacing[s];
            packets.back() += pages[page].body.substr(off, len);
            off += len;
            if (len < 255) packets.emplace_back();
        }
    }
    if (packets.size() <= header_packets) return fail(ErrorCode::FileRead, bad + "the Ogg headers are incomplete");
    packets.pop_back();  // the empty packet opened after the last header
    const size_t old_header_pages = page;
    if (old_header_pages < 2 || pages[0].lacing.size() != 1 || pages[0].lacing[0] == 255)
        return fail(ErrorCode::FileRead, bad + "the first Ogg page does not hold the identification header alone");

    std::string& comment = packets[1];
    const std::string prefix = format == ExportFormat::Opus ? std::string("OpusTags") : std::string("\x03vorbis", 7);
    if (comment.compare(0, prefix.size(), prefix) != 0) return fail(ErrorCode::FileRead, bad + "no comment header where Ogg puts it");
    auto vc = parse_vorbis_comments(comment, prefix.size());
    if (!vc) return fail(ErrorCode::FileRead, bad + "malformed comment header");
    merge_vorbis_comments(*vc, md);
    comment = prefix + vorbis_comment_bytes(*vc);

    // Page 0 is kept; packets 1.. are laid out on fresh pages, each header
    // packet ending its last page with granule 0 (RFC 7845 s3, Vorbis I s4.2).
    std::vector<OggPage> out;
    out.push_back(pages[0]);
    for (size_t k = 1; k < packets.size(); ++k) {
        const std::string& pk = packets[k];
        size_t off = 0;
        bool continued = false;
        for (;;) {
            OggPage p;
            p.serial = pages[0].serial;
            p.flags = continued ? 0x01 : 0x00;
            bool ended = false;
            while (p.lacing.size() < 255) {
                const size_t len = std::min<size_t>(255, pk.size() - off);
                p.lacing.push_back(static_cast<uint8_t>(len));
                p.body += pk.substr(off, len);
                off += len;
                if (len < 255) {
                    ended = true;
                    break;
                }
            }
            p.granule = ended ? 0 : ~uint64_t{0};
            out.push_back(std::move(p));
            if (ended) break;
            continued = true;
        }
    }
    // libsndfile draws the stream's serial number at random; a serial taken
    // from the content (FNV-1a of every page body) makes two renders of one
    // session byte-identical. One logical stream per file: any value is unique.
    uint32_t serial = 2166136261u;
    for (const OggPage& p : pages)
        for (unsigned char c : p.body) serial = (serial ^ c) * 16777619u;
    std::string result;
    uint32_t seq = 0;
    for (OggPage& p : out) {
        p.seqno = seq++;
        p.serial = serial;
        result += ogg_page_bytes(p);
    }
    for (size_t i = old_header_pages; i < pages.size(); ++i) {
        pages[i].seqno = seq++;
        pages[i].serial = serial;
        result += ogg_page_bytes(pages[i]);
    }
    return rewrite_file(file, result, data->size(), {});
}

}  // namespace

// ---------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> vorbis_comment_fields(const DeliveryMetadata& md) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Field& f : fields_of(md))
        if (!f.value.empty()) out.emplace_back(f.vorbis, f.value);
    return out;
}

std::string id3v2_4_tag(const DeliveryMetadata& md) {
    std::string frames;
    for (const Field& f : fields_of(md)) {
        if (f.value.empty()) continue;
        const std::string text = std::string(f.id3) == "TCOP" ? id3_copyright(md) : f.value;
        const uint32_t size = static_cast<uint32_t>(text.size() + 1);  // the encoding byte
        frames += f.id3;
        // Sizes are syncsafe integers (7 bits a byte) in v2.4, frames too.
        for (int i = 3; i >= 0; --i) frames += static_cast<char>((size >> (7 * i)) & 0x7f);
        frames += std::string(2, '\0');  // flags
        frames += '\x03';               // UTF-8
        frames += text;
    }
    if (frames.empty()) return {};
    std::string tag = "ID3";
    tag += '\x04';
    tag += '\0';  // version 2.4.0
    tag += '\0';  // flags: no unsynchronisation, no extended header, no footer
    const auto size = static_cast<uint32_t>(frames.size());
    for (int i = 3; i >= 0; --i) tag += static_cast<char>((size >> (7 * i)) & 0x7f);
    return tag + frames;
}

Result<Origination> bext_origination(const DeliveryMetadata& md) {
    auto digits = [](const std::string& s, size_t at, size_t n) {
        for (size_t i = at; i < at + n; ++i)
            if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        return true;
    };
    if (!md.date.empty()) {
        const std::string& d = md.date;
        const bool date_ok = d.size() >= 10 && digits(d, 0, 4) && d[4] == '-' && digits(d, 5, 2) && d[7] == '-' && digits(d, 8, 2);
        const bool time_ok = d.size() == 10 || (d.size() == 19 && d[10] == 'T' && digits(d, 11, 2) && d[13] == ':' && digits(d, 14, 2) &&
                                                d[16] == ':' && digits(d, 17, 2));
        if (!date_ok || !time_ok)
            return fail(ErrorCode::InvalidArgument, "metadata.date: \"" + d + "\" is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS");
        return Origination{d.substr(0, 10), d.size() == 19 ? d.substr(11, 8) : "00:00:00"};
    }
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
        char* end = nullptr;
        errno = 0;
        const long long seconds = std::strtoll(epoch, &end, 10);
        std::tm tm{};
        const std::time_t t = static_cast<std::time_t>(seconds);
        if (errno != 0 || *end != '\0' || seconds < 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999)
            return fail(ErrorCode::InvalidArgument, std::string("SOURCE_DATE_EPOCH \"") + epoch + "\" is not a count of seconds since 1970");
        char date[48], time[48];
        std::snprintf(date, sizeof(date), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        std::snprintf(time, sizeof(time), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
        return Origination{date, time};
    }
    return Origination{"2000-01-01", "00:00:00"};
}

Result<void> write_flac_tags(const fs::path& file, const DeliveryMetadata& md) {
    auto magic = read_range(file, 0, 4);
    if (!magic) return std::unexpected(magic.error());
    if (*magic != "fLaC") return fail(ErrorCode::FileRead, file.string() + ": not a FLAC file");
    struct Block {
        int type;
        std::string body;
    };
    std::vector<Block> blocks;
    uint64_t at = 4;
    for (bool last = false; !last;) {
        auto h = read_range(file, at, 4);
        if (!h) return std::unexpected(h.error());
        if (h->size() < 4) return fail(ErrorCode::FileRead, file.string() + ": truncated FLAC metadata");
        last = (bytes(*h)[0] & 0x80) != 0;
        const size_t len = (size_t{bytes(*h)[1]} << 16) | (size_t{bytes(*h)[2]} << 8) | bytes(*h)[3];
        auto body = read_range(file, at + 4, len);
        if (!body) return std::unexpected(body.error());
        if (body->size() < len) return fail(ErrorCode::FileRead, file.string() + ": truncated FLAC metadata");
        blocks.push_back({bytes(*h)[0] & 0x7f, std::move(*body)});
        at += 4 + len;
    }
    const uint64_t audio_at = at;

    VorbisComments vc{"Stemforge", {}, {}};
    auto block = std::find_if(blocks.begin(), blocks.end(), [](const Block& b) { return b.type == 4; });
    if (block != blocks.end()) {
        auto parsed = parse_vorbis_comments(block->body, 0);
        if (!parsed) return fail(ErrorCode::FileRead, file.string() + ": malformed Vorbis comment");
        vc = *parsed;
        vc.rest.clear();  // FLAC's block has no framing bit
    }
    merge_vorbis_comments(vc, md);
    if (block != blocks.end())
        block->body = vorbis_comment_bytes(vc);
    else
        blocks.insert(blocks.begin() + 1, Block{4, vorbis_comment_bytes(vc)});  // right after STREAMINFO

    std::string head = "fLaC";
    for (size_t i = 0; i < blocks.size(); ++i) {
        const size_t len = blocks[i].body.size();
        if (len >= (1u << 24)) return fail(ErrorCode::FileWrite, file.string() + ": FLAC metadata block too large");
        head += static_cast<char>((i + 1 == blocks.size() ? 0x80 : 0) | blocks[i].type);
        head += static_cast<char>((len >> 16) & 0xff);
        head += static_cast<char>((len >> 8) & 0xff);
        head += static_cast<char>(len & 0xff);
        head += blocks[i].body;
    }
    return rewrite_file(file, head, audio_at, {});
}

Result<void> write_tags(const fs::path& file, ExportFormat format, const DeliveryMetadata& metadata) {
    switch (format) {
        case ExportFormat::Flac: return has_any(metadata) ? write_flac_tags(file, metadata) : Result<void>{};
        case ExportFormat::Mp3: return tag_mp3(file, metadata);
        case ExportFormat::Opus:
        case ExportFormat::Ogg: return tag_ogg(file, format, metadata);  // always: the serial number (tag_ogg)
        case ExportFormat::Wav:
        case ExportFormat::Rf64:
        case ExportFormat::Bwf: return tag_riff(file, format, metadata);
        case ExportFormat::Aiff: return tag_aiff(file, metadata);
    }
    return {};
}

}  // namespace sf
