// Fuzz body: the CUE sheet writer fed by an untrusted session. Stemforge
// reads no CUE sheet (there is no CUE reader to fuzz); what is untrusted is
// the session text whose metadata and export file names the writer quotes.
// Any session the validator accepts must give a sheet that reads back
// (cue_reader.h) into the commands the writer meant: one FILE naming the
// export, TITLE/PERFORMER with one argument each, a track and its INDEX 01,
// and the metadata's text with each double quote written as '' (CUE strings
// cannot escape one). An export file name a sheet cannot hold is refused by
// the render before any work (check_cue_file_name), so it is skipped here.
#include <string>

#include "engine/export/metadata.h"
#include "engine/session/session.h"
#include "tests/fuzz/cue_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace sf::fuzz {

namespace {

void check_sheet(const std::string& sheet, const std::filesystem::path& audio, const DeliveryMetadata& md) {
    std::string why;
    const auto cmds = read_cue(sheet, &why);
    FUZZ_CHECK(cmds.has_value(), why + "\n" + sheet);
    int files = 0, tracks = 0, index01 = 0;
    for (const CueCommand& c : *cmds) {
        if (c.name == "REM") continue;
        if (c.name == "TITLE" || c.name == "PERFORMER" || c.name == "SONGWRITER") {
            FUZZ_CHECK(c.args.size() == 1, c.name + " with " + std::to_string(c.args.size()) + " arguments\n" + sheet);
            const std::string& want = c.name == "PERFORMER" ? md.artist : c.name == "SONGWRITER" ? md.composer
                                      : c.indent == 0 && !md.album.empty() ? md.album : md.title;
            std::string quoted_as;  // the writer's spelling of a quote: ''
            for (char ch : want) quoted_as += ch == '"' ? std::string("''") : std::string(1, ch);
            FUZZ_CHECK(c.args[0] == quoted_as, c.name + " \"" + c.args[0] + "\"\n" + sheet);
        } else if (c.name == "FILE") {
            ++files;
            FUZZ_CHECK(c.args.size() == 2, sheet);
            FUZZ_CHECK(c.args[0] == audio.filename().string(), sheet);
        } else if (c.name == "TRACK") {
            ++tracks;
            FUZZ_CHECK(c.args.size() == 2 && c.args[1] == "AUDIO", sheet);
        } else if (c.name == "INDEX") {
            FUZZ_CHECK(c.args.size() == 2, sheet);
            index01 += c.args[0] == "01";
        } else if (c.name == "ISRC") {
            FUZZ_CHECK(c.args.size() == 1 && c.args[0] == md.isrc, sheet);
        } else if (c.name == "CATALOG") {
            FUZZ_CHECK(c.args.size() == 1 && c.args[0] == md.catalog, sheet);
        } else {
            FUZZ_CHECK(c.name == "FLAGS" || c.name == "PREGAP" || c.name == "POSTGAP", "unknown command " + c.name + "\n" + sheet);
        }
    }
    FUZZ_CHECK(files == 1 && tracks >= 1 && index01 == tracks, sheet);
}

}  // namespace

int cue_input(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto session = parse_session(text, "/stemforge-fuzz-cue", "fuzz.json");
    if (!session) return 0;
    for (const ExportSpec& e : session->exports)
        if (check_cue_file_name(e.file, "export"))  // a render refuses the others before any work
            check_sheet(cue_sheet_text(e.file, e.format, session->metadata), e.file, session->metadata);
    if (session->exports.empty()) check_sheet(cue_sheet_text("master.wav", ExportFormat::Wav, session->metadata), "master.wav", session->metadata);
    return 0;
}

}  // namespace sf::fuzz
