// Stemforge CLI — `stemforge album ALBUM.json` and `stemforge bench album`
// (docs/album.md, docs/cli.md).
#pragma once

#include <string>

namespace sf::cli {

struct AlbumArgs {
    std::string album;              // the album file
    std::string backend = "auto";   // mix backend of the session tracks
    bool json = false;
};

int run_album(const AlbumArgs& args);

// A 12-track album of generated sessions mastered by `album` against the
// same sessions rendered and mastered one `render` at a time.
struct BenchAlbumArgs {
    int tracks = 12;
    int stems = 8;                  // per session
    double duration_s = 60.0;       // per track
    std::string mode = "album";     // the album's loudness mode
    std::string dir;                // work folder; empty: a temporary one, removed afterwards
    std::string backend = "cpu";
    bool json = false;
};

int run_bench_album(const BenchAlbumArgs& args);

}  // namespace sf::cli
