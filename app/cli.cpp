#include "app/cli.h"

#include <csignal>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <unistd.h>

#include "app/signals.h"

namespace sf::cli {

namespace {

// A message quotes what the user gave (file names, session keys and text),
// which may hold bytes a terminal acts on (ESC sequences, BEL, CR rewriting
// the line, NUL ending it early): they are printed as \xNN instead.
std::string printable(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    for (const char ch : line) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += ch;
        }
    }
    return out;
}

}  // namespace

int report(const Error& error) {
    // One `stemforge: error:` line per error: a session file breaking several
    // rules reports each on its own line (the validator joins them with \n).
    size_t start = 0;
    do {
        const size_t end = error.message.find('\n', start);
        const std::string line =
            printable(std::string_view(error.message).substr(start, end == std::string::npos ? std::string::npos : end - start));
        std::fprintf(stderr, "stemforge: error: %s\n", line.c_str());
        start = end == std::string::npos ? std::string::npos : end + 1;
    } while (start != std::string::npos);
    switch (error.code) {
        case ErrorCode::InvalidSession:
        case ErrorCode::InvalidArgument:
        case ErrorCode::FileNotFound:
        case ErrorCode::FileRead:
        case ErrorCode::BadAudio: return kBadInput;
        case ErrorCode::NotSupported:
        case ErrorCode::DeviceLimit: return kNotSupported;
        case ErrorCode::Device: return kDevice;
        case ErrorCode::Cancelled: return 128 + (cancel_signal() != 0 ? cancel_signal() : SIGINT);
        case ErrorCode::FileWrite:
        case ErrorCode::Internal: return kFailure;
    }
    return kFailure;
}

int report_usage(std::string_view message) {
    // CLI11 messages may span lines; the contract is one error line.
    std::string joined(message);
    std::replace(joined.begin(), joined.end(), '\n', ' ');
    const std::string line = printable(joined);
    std::fprintf(stderr, "stemforge: error: %s (see stemforge --help)\n", line.c_str());
    return kUsage;
}

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(::isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() {
    if (enabled_ && last_permille_ >= 0) std::fprintf(stderr, "\r\033[K");
}

void Progress::update(double fraction) {
    if (!enabled_) return;
    const int permille = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0);
    if (permille == last_permille_) return;
    last_permille_ = permille;
    std::fprintf(stderr, "\r%s %5.1f%%", label_.c_str(), permille / 10.0);
    std::fflush(stderr);
}

// A file name need not be UTF-8 (POSIX names are bytes): bytes JSON cannot
// hold are replaced by U+FFFD rather than aborting the report.
void print_json(const nlohmann::json& j) { std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl; }

nlohmann::json number_or_null(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}

}  // namespace sf::cli
