#include "app/cli.h"

#include <csignal>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "app/signals.h"

namespace sf::cli {

std::string escape_control_characters(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    char buf[12];
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            std::snprintf(buf, sizeof(buf), "\\x%02x", c);
            out += buf;
        } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            // U+0080..U+009F in UTF-8: C1 controls (U+009B is a CSI some terminals obey).
            std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(text[i + 1]));
            out += buf;
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

void print_error_line(std::string_view message) {
    const std::string line = "stemforge: error: " + escape_control_characters(message) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

int report(const Error& error) {
    // One `stemforge: error:` line per error: a session file breaking several
    // rules reports each on its own line (the validator joins them with \n);
    // every other control character is escaped by print_error_line.
    size_t start = 0;
    do {
        const size_t end = error.message.find('\n', start);
        print_error_line(std::string_view(error.message).substr(start, end == std::string::npos ? std::string::npos : end - start));
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
    print_error_line(joined + " (see stemforge --help)");
    return kUsage;
}

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(::isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() {
    if (enabled_ && shown_) std::fprintf(stderr, "\r\033[K");
}

void Progress::update(double fraction) {
    if (!enabled_) return;
    const int permille = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0);
    if (permille == last_permille_) return;
    last_permille_ = permille;
    draw();
}

void Progress::update(double fraction, const std::string& phase, double phase_fraction) {
    if (!enabled_) return;
    const int permille = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0);
    const int percent = static_cast<int>(std::clamp(phase_fraction, 0.0, 1.0) * 100.0);
    if (permille == last_permille_ && phase == phase_ && percent == phase_percent_) return;
    last_permille_ = permille;
    phase_ = phase;
    phase_percent_ = percent;
    draw();
}

void Progress::note(const std::string& line) {
    if (enabled_ && shown_) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "%s\n", line.c_str());
    if (enabled_ && shown_) draw();
    std::fflush(stderr);
}

void Progress::done() {
    if (enabled_ && shown_) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
    enabled_ = false;
}

void Progress::draw() {
    char head[64];
    std::snprintf(head, sizeof head, "%s %5.1f%%", label_.c_str(), std::max(0, last_permille_) / 10.0);
    std::string text = head;
    if (!phase_.empty()) {
        char tail[16];
        std::snprintf(tail, sizeof tail, " %3d%%", std::max(0, phase_percent_));
        text += "  " + phase_ + tail;
    }
    // Never wider than the terminal: a wrapped line cannot be redrawn in place.
    winsize ws{};
    const size_t columns = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    if (text.size() > columns - 1) {
        text.resize(columns - 1);
        // Not in the middle of a UTF-8 sequence (a file name in the phase).
        while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
        if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
    }
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    shown_ = true;
}

// A file name need not be UTF-8 (POSIX names are bytes): bytes JSON cannot
// hold are replaced by U+FFFD rather than aborting the report.
void print_json(const nlohmann::json& j) { std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl; }

nlohmann::json number_or_null(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}

}  // namespace sf::cli
