// Stemforge — keeping libmpg123's own diagnostics off the terminal.
//
// libsndfile decodes MP3 through libmpg123, which prints notes and errors
// ("Note: Illegal Audio-MPEG-Header …", "[layer3.c:…] error: big_values too
// large!") straight to stderr, around the CLI's one `stemforge: error:` line.
// Neither libsndfile (1.2) nor libmpg123 (1.31) offers a process-wide switch:
// MPG123_QUIET is a per-handle flag on a handle libsndfile keeps private. So
// while a decoder call runs, file descriptor 2 points at /dev/null.
//
// Off by default: a library user, a test or a fuzzer (whose sanitizer report
// goes to fd 2) sees everything. The CLI turns it on at start-up. While a
// scope is open, anything else the process writes to stderr is lost too; the
// scopes wrap single libsndfile calls (an open, one block's read), so only a
// progress line can fall into one.
#pragma once

namespace sf {

// Process-wide; call before any decoding starts (the CLI's main).
void set_decoder_diagnostics_quiet(bool quiet);
bool decoder_diagnostics_quiet();

// Silences fd 2 for its lifetime when quiet is on (nested and concurrent
// scopes share one redirection: the first opens it, the last restores fd 2).
// `active` false makes it a no-op (e.g. a read from a non-MPEG handle).
class DecoderQuietScope {
public:
    explicit DecoderQuietScope(bool active = true);
    ~DecoderQuietScope();
    DecoderQuietScope(const DecoderQuietScope&) = delete;
    DecoderQuietScope& operator=(const DecoderQuietScope&) = delete;

private:
    bool engaged_ = false;
};

}  // namespace sf
